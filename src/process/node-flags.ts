/**
 * Node's options for the daemon (the shebang of the command and of the bundle,
 * and DaemonProcess): it mostly waits on its children, so V8's optimizing
 * compilers cost memory and buy nothing (docs/decisions.md, "Node options").
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--jitless', '--no-expose-wasm', '--max-semi-space-size=1', '--optimize-for-size'];

/**
 * The daemon's node environment (same shebang): a fixed glibc trim threshold hands freed
 * memory back (docs/decisions.md, "glibc's trim threshold"). Not for its children: withoutDaemonEnv().
 */
export const DAEMON_ENV: Readonly<Record<string, string>> = { MALLOC_TRIM_THRESHOLD_: '131072' };

/**
 * Removes DAEMON_ENV's variables from `env` (the daemon's process.env, which
 * its children inherit) where they hold the shebang's value; glibc read them
 * when node started. A value an admin set on purpose stays.
 */
export function withoutDaemonEnv(env: NodeJS.ProcessEnv = process.env): void {
  for (const [name, value] of Object.entries(DAEMON_ENV)) if (env[name] === value) delete env[name];
}

/**
 * Starts node with DAEMON_ENV and DAEMON_NODE_FLAGS (GNU env -S splits the words). Kernels before
 * 5.1 (RHEL 8, Ubuntu 18.04) cut a shebang after 127 bytes: a unit test keeps it shorter, hence exposeGc().
 */
export const DAEMON_SHEBANG = `#!/usr/bin/env -S ${Object.entries(DAEMON_ENV)
  .map(([name, value]) => `${name}=${value}`)
  .join(' ')} node ${DAEMON_NODE_FLAGS.join(' ')}`;

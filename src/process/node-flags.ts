/**
 * Options for node itself when it runs the daemon: in the shebang of
 * bin/inotify-csync.js and of the single-file bundle, and in DaemonProcess
 * (tests and benchmarks run the daemon as an admin would).
 *
 * The daemon waits on inotifywait and csync2; its own JavaScript is a small
 * share of the work, so V8's optimizing compilers buy nothing measurable while
 * their code and a young generation sized for throughput cost memory. Measured
 * on a two-node cluster (node 20, bundle): idle RSS 55.3 MB -> 49.5 MB, and
 * after a 5,000-file burst 80.0 MB -> 49.1 MB; the daemon's CPU time for that
 * burst 0.61 s -> 0.68 s. `--optimize-for-size` takes about 1 MB more off
 * (dist/: 53.1 -> 51.5 MB idle). `--no-expose-wasm` keeps V8 from warning
 * that `--jitless` turns WebAssembly off (nothing here uses it).
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--jitless', '--no-expose-wasm', '--max-semi-space-size=1', '--optimize-for-size'];

/**
 * Environment for the daemon's node, set by the same shebang. glibc keeps
 * freed memory at the top of its heap up to a trim threshold that grows to
 * twice the largest mmapped block ever freed (up to 64 MB); a fixed 128 KiB
 * threshold hands it back. Measured after a minute of churn: the malloc heap
 * grew 3.8 -> 4.7 MB without it and stayed at 3.8 MB with it. It is meant
 * for the daemon's node only: withoutDaemonEnv() keeps it from csync2,
 * inotifywait and rsync, which run as they would without the daemon.
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
 * The shebang line that starts node with DAEMON_ENV and DAEMON_NODE_FLAGS (GNU
 * env -S splits the words). Kernels before 5.1 (RHEL 8, Ubuntu 18.04) cut a
 * shebang line after 127 bytes, which would pass node a broken option; a unit
 * test keeps it shorter. That is why `--expose-gc` is not here (exposeGc()).
 */
export const DAEMON_SHEBANG = `#!/usr/bin/env -S ${Object.entries(DAEMON_ENV)
  .map(([name, value]) => `${name}=${value}`)
  .join(' ')} node ${DAEMON_NODE_FLAGS.join(' ')}`;

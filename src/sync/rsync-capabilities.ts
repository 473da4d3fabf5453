import type { ChildProcesses } from '../process/child-processes.js';

/**
 * How the installed rsync keeps a remote path in one piece. rsync hands the
 * peer's path to the remote shell (ssh runs it through the peer's shell), and
 * before 3.2.4 that shell split a path at spaces and expanded `$`, `;`, `'`,
 * `*`: a peer root like `/srv/web site` became two arguments.
 * - `modern` (3.2.4 and later): rsync escapes such characters itself. An
 *   RSYNC_OLD_ARGS in the environment would turn that off: `--no-old-args`.
 * - `secluded` (3.0.0 to 3.2.3): `-s` (`--protect-args`) sends the arguments
 *   over rsync's own protocol instead of the shell.
 * - `none` (older): no way; a root that needs it is left to csync2.
 */
export type RsyncArgProtection = 'modern' | 'secluded' | 'none';

/** Reads `rsync --help`: `--old-args` exists from 3.2.4 on, `--protect-args` (later `--secluded-args`) from 3.0.0. */
export function parseArgProtection(help: string): RsyncArgProtection {
  if (/^\s*--old-args\b/m.test(help)) return 'modern';
  if (/--protect-args\b|--secluded-args\b/.test(help)) return 'secluded';
  return 'none';
}

/** The options that keep the arguments whole with this rsync (never one it does not know). */
export function argProtectionArgs(protection: RsyncArgProtection): string[] {
  switch (protection) {
    case 'modern':
      return ['--no-old-args'];
    case 'secluded':
      return ['-s'];
    default:
      return [];
  }
}

/** True when a remote shell would change `target` (spaces, quotes, `$`, `;`, `*`, ...): it needs the protection. */
export function needsArgProtection(target: string): boolean {
  return /[^A-Za-z0-9_@%+=:,./-]/.test(target);
}

/** Runs `rsync --help` once at start (a tracked child with a deadline); `none` when it does not answer. */
export async function probeRsyncArgProtection(options: { children: ChildProcesses; timeoutMs?: number }): Promise<RsyncArgProtection> {
  const result = await options.children.start('rsync', ['--help'], {
    reject: false,
    stdin: 'ignore',
    all: true,
    timeout: options.timeoutMs ?? 10_000,
    forceKillAfterDelay: 2000,
  });
  return parseArgProtection(String(result.all ?? ''));
}

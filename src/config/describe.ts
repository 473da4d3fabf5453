/** Start-up log lines that tell an admin what this host syncs and with whom. */
import { rootOf } from '../paths/under-root.js';
import type { SyncScope } from './types.js';

export const TEMPDIR_WARNING =
  'no tempdir outside the watched paths: csync2 writes .NAME.XXXXXX temp files next to synced files, which echo back as changes; set `tempdir /var/tmp/csync2;` on the same filesystem';

/** True when `dir` is one of the roots or lies inside one. */
function insideRoots(dir: string, roots: string[]): boolean {
  const clean = dir.length > 1 ? dir.replace(/\/+$/, '') : dir;
  return rootOf(clean, roots) !== undefined;
}

/** One line per fact: host, groups, peers, roots, excludes, and the tempdir warning when it applies. */
export function describeScope(scope: SyncScope): string[] {
  const peers = scope.peers.map((p) => (p.readOnly ? `${p.name} (read-only)` : p.name));
  const excludes = scope.patterns.filter((p) => p.kind === 'exclude').map((p) => p.pattern);
  const lines = [
    `host: ${scope.host}${scope.pushes ? '' : ' (read-only: receives only, never pushes)'}`,
    `config: ${scope.configFile}`,
    `groups: ${scope.groups.join(', ')}`,
    `peers: ${peers.length > 0 ? peers.join(', ') : '(none)'}`,
    `watch roots: ${scope.watchRoots.join(', ')}`,
    `exclude patterns: ${excludes.length > 0 ? excludes.join(' ') : '(none)'}`,
  ];
  if (scope.tempdir !== undefined && !insideRoots(scope.tempdir, scope.watchRoots)) {
    lines.push(`tempdir: ${scope.tempdir}`);
  } else {
    lines.push(`warning: ${TEMPDIR_WARNING}`);
  }
  for (const warning of scope.warnings ?? []) lines.push(`warning: ${warning}`);
  return lines;
}

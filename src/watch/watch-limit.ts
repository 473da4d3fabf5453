import { readFileSync } from 'node:fs';
import { directoriesUnder } from './watch-audit.js';

/** The kernel's per-user inotify watch limit, if readable. */
export function readMaxUserWatches(file = '/proc/sys/fs/inotify/max_user_watches'): number | undefined {
  try {
    const value = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

/** A limit with room to grow: twice the directories, at least 524288 (what most distributions now ship). */
export function suggestedWatchLimit(directories: number): number {
  return Math.max(524_288, 2 ** Math.ceil(Math.log2(Math.max(2, directories * 2))));
}

/** The one line an admin needs: how many directories, the current limit, and the exact fix. */
export function watchLimitMessage(directories: number, limit: number | undefined): string {
  const wanted = suggestedWatchLimit(directories);
  return (
    `the watched trees hold ${directories} directories but fs.inotify.max_user_watches is ${limit ?? 'too low'}: ` +
    `raise it with 'sysctl -w fs.inotify.max_user_watches=${wanted}' and keep it with ` +
    `'echo fs.inotify.max_user_watches=${wanted} > /etc/sysctl.d/60-inotify-csync.conf'`
  );
}

/** Counts the directories inotifywait would watch under the roots (stopping just past `limit`). */
export function countWatchedDirectories(roots: readonly string[], skip: (path: string) => boolean, limit: number): number {
  let count = 0;
  for (const root of roots) {
    count += directoriesUnder(root, skip, limit + 1 - count).length;
    if (count > limit) break;
  }
  return count;
}

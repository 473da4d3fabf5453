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

/** The inotify watch limit in force for this process, and the setting that holds it. */
export interface WatchLimit {
  value: number;
  /** `fs.inotify.max_user_watches`, or `user.max_inotify_watches` when a user namespace (a container) sets a lower one. */
  name: string;
}

/**
 * Since Linux 5.11 watches count per user in each user namespace up to the
 * first: the lower of the machine's fs.inotify.max_user_watches and the own
 * namespace's user.max_inotify_watches (in the first namespace both are one value).
 */
export function readWatchLimit(files = { machine: '/proc/sys/fs/inotify/max_user_watches', namespace: '/proc/sys/user/max_inotify_watches' }): WatchLimit | undefined {
  const machine = readMaxUserWatches(files.machine);
  const namespace = readMaxUserWatches(files.namespace);
  if (namespace !== undefined && (machine === undefined || namespace < machine)) return { value: namespace, name: 'user.max_inotify_watches' };
  return machine === undefined ? undefined : { value: machine, name: 'fs.inotify.max_user_watches' };
}

/** The fix for a limit reached while running: the setting, its value, and a value with room. */
export function raiseLimitAdvice(limit: WatchLimit | undefined): string {
  if (!limit) return 'raise fs.inotify.max_user_watches';
  return `raise ${limit.name} (now ${limit.value}): 'sysctl -w ${limit.name}=${suggestedWatchLimit(limit.value)}'`;
}

/** inotifywait's words for a watch the kernel refused at the limit: the directory, or undefined for another line. */
export function unwatchableDirectoryOf(line: string): string | undefined {
  // While running (inotifywait.c: a new directory, ENOSPC).
  const running = /^Couldn't watch new directory (.*): No space left on device$/.exec(line);
  // While setting up: inotifywait exits after it.
  const setup = /^Failed to watch (.*); upper limit on inotify watches reached!?$/.exec(line);
  const dir = running?.[1] ?? setup?.[1];
  if (dir === undefined) return undefined;
  return dir.length > 1 && dir.endsWith('/') ? dir.slice(0, -1) : dir;
}

import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';

/** Direct children of `pid`, from /proc/PID/stat (field 4 is the parent PID). */
function childrenOf(pid: number, proc: string): number[] {
  const children: number[] = [];
  for (const entry of readdirSync(proc)) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(join(proc, entry, 'stat'), 'utf8');
      // The command name (field 2) is in parentheses and may hold spaces: parse after the last ')'.
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(fields[1]) === pid) children.push(Number(entry));
    } catch {
      // the process ended meanwhile
    }
  }
  return children;
}

/** Watches held by one process: the `inotify wd:` lines in the fdinfo of each of its inotify descriptors. */
function watchesOf(pid: number, proc: string): number {
  let count = 0;
  const fdDir = join(proc, String(pid), 'fd');
  for (const fd of readdirSync(fdDir)) {
    let target: string;
    try {
      target = readlinkSync(join(fdDir, fd));
    } catch {
      continue;
    }
    if (target !== 'anon_inode:inotify') continue;
    const info = readFileSync(join(proc, String(pid), 'fdinfo', fd), 'utf8');
    for (const line of info.split('\n')) if (line.startsWith('inotify wd:')) count++;
  }
  return count;
}

/**
 * The inotify watches held by the daemon's inotifywait children, read from
 * /proc (the kernel lists every watch in the fdinfo of an inotify descriptor).
 * Undefined when it cannot be known: no such process, no inotifywait child, or
 * another user's process (/proc/PID/fd needs the same user or root).
 */
export function countInotifyWatches(daemonPid: number, proc = '/proc', children?: readonly number[]): number | undefined {
  try {
    // The daemon passes the children it started: no walk through every process in /proc.
    const watchers = (children ?? childrenOf(daemonPid, proc)).filter((pid) => {
      try {
        return readFileSync(join(proc, String(pid), 'comm'), 'utf8').trim() === 'inotifywait';
      } catch {
        return false;
      }
    });
    if (watchers.length === 0) return undefined;
    let total = 0;
    for (const pid of watchers) total += watchesOf(pid, proc);
    return total;
  } catch {
    return undefined;
  }
}

/**
 * The fdinfo of an inotify descriptor lists every watch: megabytes of text
 * on a tree of 100,000 directories. The daemon counts at most every `everyMs`.
 */
export class WatchCountSampler {
  private takenAt: number | undefined;
  private last: number | undefined;

  constructor(
    private readonly count: () => number | undefined,
    private readonly everyMs = 30_000,
  ) {}

  sample(now: number): number | undefined {
    if (this.takenAt === undefined || now - this.takenAt >= this.everyMs) {
      this.last = this.count();
      // No watcher yet, or one still setting up (a watched root always holds one): asked again next time.
      this.takenAt = this.last === undefined || this.last === 0 ? undefined : now;
    }
    return this.last;
  }
}

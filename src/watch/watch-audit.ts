import { lstatSync, readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { join } from 'node:path';
import { isUnder } from '../paths/under-root.js';

/** The watched inode numbers in one inotify fdinfo text; wd and ino are both hexadecimal. */
export function parseInotifyFdinfo(text: string): number[] {
  return [...text.matchAll(/^inotify wd:[0-9a-f]+ ino:([0-9a-f]+) /gm)].map((match) => Number.parseInt(match[1] ?? '0', 16));
}

/**
 * Inode numbers a process watches, read from /proc/PID/fdinfo of its inotify
 * descriptors (lines `inotify wd:N ino:HEX sdev:HEX ...`). Undefined when /proc
 * cannot tell (another user's process, no procfs).
 */
export function watchedInodes(pid: number): Set<number> | undefined {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const inodes = new Set<number>();
  for (const fd of fds) {
    try {
      if (readlinkSync(`/proc/${pid}/fd/${fd}`) !== 'anon_inode:inotify') continue;
      for (const ino of parseInotifyFdinfo(readFileSync(`/proc/${pid}/fdinfo/${fd}`, 'utf8'))) inodes.add(ino);
    } catch {
      // closed meanwhile
    }
  }
  return inodes;
}

/** Every directory at or below `dir` (symlinks not followed), minus those `skip` says inotifywait does not watch. */
export function directoriesUnder(dir: string, skip: (path: string) => boolean, limit = 100_000): Array<{ path: string; ino: number }> {
  const found: Array<{ path: string; ino: number }> = [];
  const stack = [dir];
  while (stack.length > 0 && found.length < limit) {
    const current = stack.pop() as string;
    let ino: number;
    try {
      const stat = lstatSync(current);
      if (!stat.isDirectory()) continue;
      ino = stat.ino;
    } catch {
      continue;
    }
    found.push({ path: current, ino });
    let entries;
    try {
      entries = readdirSync(current, { withFileTypes: true });
    } catch {
      continue;
    }
    for (const entry of entries) {
      if (!entry.isDirectory()) continue;
      const child = join(current, entry.name);
      if (!skip(child)) stack.push(child);
    }
  }
  return found;
}

/** The top-most directories of `dirs` that no watch covers (a child of a missing one is covered by repairing its parent). */
export function topMostMissing(dirs: Array<{ path: string; ino: number }>, watched: Set<number>): string[] {
  const missing = dirs.filter((dir) => !watched.has(dir.ino)).map((dir) => dir.path).sort();
  const top: string[] = [];
  for (const path of missing) {
    const last = top.at(-1);
    if (last !== undefined && isUnder(path, last)) continue;
    top.push(path);
  }
  return top;
}

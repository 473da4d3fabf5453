import { readFileSync, readdirSync } from 'node:fs';

/** Direct and indirect children of a process, from /proc/PID/task/TID/children. */
export function descendants(pid: number): number[] {
  const found: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const current = stack.pop() as number;
    let tasks: string[] = [];
    try {
      tasks = readdirSync(`/proc/${current}/task`);
    } catch {
      continue;
    }
    for (const task of tasks) {
      try {
        for (const child of readFileSync(`/proc/${current}/task/${task}/children`, 'utf8').trim().split(/\s+/)) {
          if (child) {
            found.push(Number(child));
            stack.push(Number(child));
          }
        }
      } catch {
        // exited meanwhile
      }
    }
  }
  return found;
}

/** The command name of a process, or undefined when it no longer runs. */
export function commandOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return undefined;
  }
}

export function alive(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return !/^\d+ \(.*\) Z /.test(stat);
  } catch {
    return false;
  }
}

/** The first descendant of `pid` running `command` (e.g. inotifywait, csync2). */
export function childRunning(pid: number, command: string): number | undefined {
  return descendants(pid).find((child) => commandOf(child) === command);
}

/**
 * The command lines of the given processes and all their descendants, read
 * every `everyMs` while it runs (csync2 calls last milliseconds); `stop()` ends it.
 */
export function sampleCommandLines(roots: () => number[], everyMs = 5): { lines: Set<string>; stop: () => void } {
  const lines = new Set<string>();
  const timer = setInterval(() => {
    for (const root of roots()) {
      for (const pid of [root, ...descendants(root)]) {
        try {
          lines.add(readFileSync(`/proc/${pid}/cmdline`, 'latin1'));
        } catch {
          // ended meanwhile
        }
      }
    }
  }, everyMs);
  return { lines, stop: () => clearInterval(timer) };
}

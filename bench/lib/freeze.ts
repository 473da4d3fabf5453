import { readdirSync, readFileSync } from 'node:fs';

/** Parent PID of every process, from /proc/PID/stat (field 4, after the command name in parentheses). */
function parentMap(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const text = readFileSync(`/proc/${name}/stat`, 'utf8');
      const ppid = Number(text.slice(text.lastIndexOf(')') + 2).split(' ')[1]);
      const list = children.get(ppid) ?? [];
      list.push(Number(name));
      children.set(ppid, list);
    } catch {
      // ended meanwhile
    }
  }
  return children;
}

/** `pid` and all its descendants, by walking every process's parent PID. */
export function processTree(pid: number): number[] {
  const children = parentMap();
  const out: number[] = [];
  const stack = [pid];
  while (stack.length > 0) {
    const next = stack.pop() as number;
    out.push(next);
    stack.push(...(children.get(next) ?? []));
  }
  return out;
}

function signal(pid: number, name: NodeJS.Signals): boolean {
  try {
    process.kill(pid, name);
    return true;
  } catch {
    return false;
  }
}

/**
 * SIGSTOPs the process trees under `roots` (a node's daemon with its csync2
 * server and children, its inotifywait); the walk is repeated until no new
 * descendant appears, since a child may be spawned while the walk runs.
 * Returns the stopped PIDs for thaw().
 */
export function freezeTrees(roots: number[]): number[] {
  const stopped = new Set<number>();
  for (let round = 0; round < 10; round++) {
    const found = roots.flatMap(processTree).filter((pid) => !stopped.has(pid));
    if (found.length === 0) break;
    for (const pid of found) if (signal(pid, 'SIGSTOP')) stopped.add(pid);
  }
  return [...stopped];
}

/** SIGCONT to what freezeTrees() stopped (parents first, as they were found). */
export function thaw(pids: number[]): void {
  for (const pid of pids) signal(pid, 'SIGCONT');
}

import { execFileSync, spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/PID/stat times (`getconf CLK_TCK`, 100 on Linux). */
export const CLK_TCK = ((): number => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** A field of /proc/PID/status in kB (VmRSS, VmHWM, ...); undefined when the process is gone. */
export function statusKb(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+)\\s+kB`, 'm').exec(text);
    return match?.[1] ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

export interface CpuTicks {
  /** utime + stime of the process (all its threads). */
  self: number;
  /** cutime + cstime: children it has waited for. */
  reaped: number;
}

/** CPU ticks of a process from /proc/PID/stat; undefined when it is gone. */
export function cpuTicks(pid: number): CpuTicks | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may hold spaces and parentheses: fields start after the last ')'.
    const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
    // fields[0] is field 3 (state); utime is field 14 -> index 11.
    const [utime, stime, cutime, cstime] = [11, 12, 13, 14].map((i) => Number(fields[i]));
    return { self: (utime ?? 0) + (stime ?? 0), reaped: (cutime ?? 0) + (cstime ?? 0) };
  } catch {
    return undefined;
  }
}

/** The command name of a process (/proc/PID/comm). */
export function commOf(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** Direct children of a process, from /proc/PID/task/TID/children. */
export function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out;
  }
  for (const tid of tasks) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/)) {
        if (child) out.push(Number(child));
      }
    } catch {
      // task ended meanwhile
    }
  }
  return out;
}

/** Every descendant of a process (children, their children, ...). */
export function descendantsOf(pid: number): number[] {
  const out: number[] = [];
  const stack = childrenOf(pid);
  while (stack.length > 0) {
    const next = stack.pop() as number;
    out.push(next);
    stack.push(...childrenOf(next));
  }
  return out;
}

export interface ProcessMemory {
  /** VmRSS of the process itself, kB. */
  selfKb: number;
  /** Sum of VmRSS of all descendants, kB. */
  childrenKb: number;
  children: Array<{ pid: number; comm: string; rssKb: number }>;
}

/** RSS of a process and of its descendants, separately. */
export function memoryOf(pid: number): ProcessMemory {
  const children = descendantsOf(pid).map((child) => ({ pid: child, comm: commOf(child), rssKb: statusKb(child, 'VmRSS') ?? 0 }));
  return {
    selfKb: statusKb(pid, 'VmRSS') ?? 0,
    childrenKb: children.reduce((sum, c) => sum + c.rssKb, 0),
    children,
  };
}

/** Machine facts printed with every result. */
export function machineInfo(): Record<string, unknown> {
  const cpuinfo = readFileSync('/proc/cpuinfo', 'utf8');
  const model = /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1]?.trim() ?? 'unknown';
  const cores = (cpuinfo.match(/^processor\s*:/gm) ?? []).length;
  const memKb = Number(/^MemTotal:\s+(\d+)/m.exec(readFileSync('/proc/meminfo', 'utf8'))?.[1] ?? 0);
  // Both print their usage (with the version) and exit non-zero on an unknown option.
  const usage = (file: string): string => {
    const result = spawnSync(file, ['--help'], { encoding: 'utf8' });
    return `${result.stdout ?? ''}${result.stderr ?? ''}`;
  };
  const csync2 = /^Version:\s*(.+)$/m.exec(usage('csync2'))?.[1]?.trim() ?? 'unknown';
  const inotifywait = /inotifywait\s+(\d\S*)/.exec(usage('inotifywait'))?.[1] ?? 'unknown';
  return {
    cores,
    cpuModel: model,
    memGiB: Math.round(memKb / 1024 / 1024),
    kernel: readFileSync('/proc/sys/kernel/osrelease', 'utf8').trim(),
    node: process.version,
    csync2,
    inotifywait,
  };
}

/** 1-minute load average now (the machine is shared: results carry it). */
export function loadAverage(): number {
  return Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[0]);
}

import { CLK_TCK, commOf, cpuTicks, descendantsOf } from './proc.js';
import { sleep } from './stats.js';

export interface IdleResult {
  seconds: number;
  /** CPU seconds of the process and all its descendants over the window. */
  cpuSeconds: number;
  /** cpuSeconds as a share of one core, percent. */
  cpuPercent: number;
  /** Of which the process itself. */
  selfCpuSeconds: number;
  /** Processes that appeared below the process during the window. */
  spawned: Array<{ pid: number; comm: string; atMs: number }>;
  /** How often the process tree was scanned (one scan every `scanMs`). */
  scans: number;
  scanMs: number;
}

function ticksOf(pid: number): number {
  const ticks = cpuTicks(pid);
  return ticks ? ticks.self + ticks.reaped : 0;
}

/**
 * CPU and process spawns of `pid` and its descendants while nothing changes:
 * /proc/PID/stat utime+stime (+cutime+cstime, so children that ended count
 * too) at both ends, and the process tree scanned every `scanMs` for new PIDs.
 */
export async function measureIdle(pid: number, seconds: number, scanMs = 5): Promise<IdleResult> {
  const known = new Set(descendantsOf(pid));
  const before = new Map<number, number>([[pid, ticksOf(pid)]]);
  for (const child of known) before.set(child, ticksOf(child));
  const spawned: IdleResult['spawned'] = [];
  const started = performance.now();
  let scans = 0;
  while (performance.now() - started < seconds * 1000) {
    await sleep(scanMs);
    scans++;
    for (const child of descendantsOf(pid)) {
      if (known.has(child)) continue;
      known.add(child);
      spawned.push({ pid: child, comm: commOf(child), atMs: performance.now() - started });
    }
  }
  const elapsed = (performance.now() - started) / 1000;
  let ticks = 0;
  let selfTicks = 0;
  for (const member of [pid, ...known]) {
    const now = cpuTicks(member);
    if (!now) continue;
    const delta = now.self + now.reaped - (before.get(member) ?? 0);
    ticks += delta;
    if (member === pid) selfTicks = delta;
  }
  const cpuSeconds = ticks / CLK_TCK;
  return { seconds: elapsed, cpuSeconds, cpuPercent: (cpuSeconds / elapsed) * 100, selfCpuSeconds: selfTicks / CLK_TCK, spawned, scans, scanMs };
}

/**
 * The same window for the status quo, which runs inside this process: the
 * CPU of this process's children that ended meanwhile (each `csync2 -x`
 * pass), from this process's cutime+cstime.
 */
export async function measureReapedChildren(seconds: number, passes: () => number): Promise<{ seconds: number; cpuSeconds: number; cpuPercent: number; spawned: number }> {
  const before = cpuTicks(process.pid)?.reaped ?? 0;
  const passesBefore = passes();
  const started = performance.now();
  await sleep(seconds * 1000);
  const elapsed = (performance.now() - started) / 1000;
  const cpuSeconds = ((cpuTicks(process.pid)?.reaped ?? 0) - before) / CLK_TCK;
  return { seconds: elapsed, cpuSeconds, cpuPercent: (cpuSeconds / elapsed) * 100, spawned: passes() - passesBefore };
}

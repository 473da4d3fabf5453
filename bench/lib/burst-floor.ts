import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { burstFiles, type BurstOptions } from './workloads.js';

export interface BurstFloorResult {
  /** `csync2 -cr` on the burst's directories, ms. */
  checkMs: number;
  /** The `csync2 -u` that sends them to B, ms. */
  updateMs: number;
  /** Files not on B with the same bytes afterwards (0 when the floor is valid). */
  missing: number;
}

/**
 * The floor of the burst for anything that drives csync2: the same files,
 * written on A with nothing running, then one `csync2 -cr` of their
 * directories and one `csync2 -u`, timed. No daemon can send the burst through
 * csync2 faster than csync2 itself carries it.
 */
export async function burstFloor(options: Omit<BurstOptions, 'deadlineMs'>): Promise<BurstFloorResult> {
  const cluster = await LocalCluster.create({ nodes: 2 });
  try {
    await cluster.startServer(1);
    const a = cluster.node(0).dir;
    const files = burstFiles(options);
    const dirs = [...new Set(files.map((f) => f.rel.split('/')[0] ?? ''))];
    for (const dir of dirs) await mkdir(join(a, dir));
    await Promise.all(files.map((f) => writeFile(join(a, f.rel), f.bytes)));
    let started = performance.now();
    const check = await cluster.csync2(0, ['-cr', ...dirs.map((dir) => join(a, dir))]);
    const checkMs = performance.now() - started;
    started = performance.now();
    const update = await cluster.csync2(0, ['-u']);
    const updateMs = performance.now() - started;
    if (check.exitCode !== 0 || update.exitCode !== 0) throw new Error(`csync2 failed: ${check.stderr}${update.stderr}`);
    const b = cluster.node(1).dir;
    const same = await Promise.all(files.map((f) => readFile(join(b, f.rel)).then((got) => got.equals(f.bytes), () => false)));
    return { checkMs, updateMs, missing: same.filter((ok) => !ok).length };
  } finally {
    await cluster.destroy();
  }
}

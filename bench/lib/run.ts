import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { waitUntilSyncing, type SyncAgent } from './agents.js';
import { loadAverage } from './proc.js';
import { sleep } from './stats.js';
import { burstWorkload, latencyWorkload, type BurstOptions, type BurstResult, type LatencyOptions, type LatencyResult } from './workloads.js';

/** Undo actions run on exit, also on Ctrl-C: agents stopped, clusters removed. */
export class Cleanup {
  private readonly actions: Array<() => Promise<unknown>> = [];

  constructor() {
    let stopping = false;
    // `on`, not `once`: execa's signal-exit re-raises the signal (ending the process before
    // the cleanup ran) when it finds no other listener left; a second Ctrl-C ends at once.
    const onSignal = (signal: NodeJS.Signals): void => {
      if (stopping) {
        console.error(`\n${signal} again: exiting without finishing the cleanup`);
        process.exit(130);
      }
      stopping = true;
      console.error(`\n${signal}: stopping agents and removing clusters`);
      void this.run().finally(() => process.exit(130));
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  }

  add(action: () => Promise<unknown>): () => Promise<void> {
    this.actions.push(action);
    return async () => {
      const index = this.actions.indexOf(action);
      if (index >= 0) this.actions.splice(index, 1);
      await action();
    };
  }

  async run(): Promise<void> {
    while (this.actions.length > 0) {
      const action = this.actions.pop() as () => Promise<unknown>;
      try {
        await action();
      } catch (error) {
        console.error(`cleanup: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
  }
}

/** Pause between the probe and the first measured write, and between the workloads. */
export const SETTLE_MS = 1500;

export interface AgentRun {
  agent: string;
  /** Until a probe file written on A was on B after start(), ms. */
  firstSyncMs: number;
  latency: LatencyResult;
  burst: BurstResult;
  load: { before: number; after: number };
}

/** A fresh two-node cluster, the agent on it, then the latency and burst workloads. */
export async function runAgentWorkloads(
  cleanup: Cleanup,
  makeAgent: (cluster: LocalCluster) => SyncAgent,
  latency: Omit<LatencyOptions, 'dirs' | 'prefix'>,
  burst: Omit<BurstOptions, 'prefix'>,
  log: (line: string) => void,
  only?: 'burst',
): Promise<AgentRun & { extra: SyncAgent }> {
  const cluster = await LocalCluster.create({ nodes: 2 });
  const destroy = cleanup.add(() => cluster.destroy());
  const agent = makeAgent(cluster);
  const loadBefore = loadAverage();
  try {
    await mkdir(join(cluster.node(0).dir, 'lat'));
    log(`${agent.name}: starting on ${cluster.root}`);
    const stop = cleanup.add(() => agent.stop());
    try {
      await agent.start();
      const firstSyncMs = await waitUntilSyncing(cluster, 'lat/probe', 120_000);
      log(`${agent.name}: syncing (probe on B after ${firstSyncMs.toFixed(0)} ms); latency: ${latency.writes} writes ${latency.intervalMs} ms apart`);
      // Let the probe's echo (B's daemon checks what it received) settle, so the first write meets an idle cluster.
      await sleep(SETTLE_MS);
      // Burst only: no latency writes (an empty latency result).
      const lat = await latencyWorkload(cluster, { ...latency, writes: only === 'burst' ? 0 : latency.writes, dirs: ['lat'], prefix: 'w' });
      if (only !== 'burst') {
        log(`${agent.name}: latency p50 ${lat.p50.toFixed(0)} ms, p90 ${lat.p90.toFixed(0)} ms, max ${lat.max.toFixed(0)} ms, ${lat.misses} misses`);
        await sleep(SETTLE_MS);
      }
      log(`${agent.name}: burst: ${burst.files} files in ${burst.dirs} new dirs`);
      const bur = await burstWorkload(cluster, { ...burst, prefix: 'burst' });
      log(`${agent.name}: burst ${bur.ms === undefined ? `MISSED (${bur.missing} files not on B)` : `${bur.ms.toFixed(0)} ms`}`);
      return { agent: agent.name, firstSyncMs, latency: lat, burst: bur, load: { before: loadBefore, after: loadAverage() }, extra: agent };
    } finally {
      await stop();
    }
  } finally {
    await destroy();
  }
}

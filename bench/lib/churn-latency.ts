import type { ProbeRecord } from './churn-probes.js';
import { summarize, type Summary } from './stats.js';

/** A peer frozen during the churn (performance.now() times of SIGSTOP and SIGCONT). */
export interface FreezeWindow {
  node: number;
  frozenAt: number;
  thawedAt: number;
}

export interface LatencySummary extends Summary {
  misses: number;
}

export interface ProbeLatency {
  /** Each probe's time until every other node held it (with a freeze: every other non-frozen node, probes of non-frozen writers). */
  latency: LatencySummary;
  probes: number;
  /** Only with a freeze. */
  frozen?: {
    node: number;
    /** Probes to or from the frozen node written before the thaw: time after SIGCONT until the last of them arrived, ms (undefined: some never did). */
    caughtUpAfterThawMs: number | undefined;
    /** Those probes (node pairs) that never arrived. */
    catchUpMisses: number;
    catchUpPairs: number;
    /** Probes to or from the frozen node written after the thaw: their latency. */
    afterThaw: LatencySummary;
  };
}

function summary(samples: Array<number | undefined>): LatencySummary {
  const arrived = samples.filter((ms): ms is number => ms !== undefined);
  return { ...summarize(arrived), misses: samples.length - arrived.length };
}

/** Time until every node of `targets` held the probe; undefined when one never did. */
function until(probe: ProbeRecord, targets: number[]): number | undefined {
  let latest = probe.writtenAt;
  for (const target of targets) {
    const at = probe.arrivals[target];
    if (at === undefined) return undefined;
    latest = Math.max(latest, at);
  }
  return latest - probe.writtenAt;
}

/** Probe latencies, split around a frozen peer when there was one. */
export function probeLatency(probes: readonly ProbeRecord[], nodes: number, freeze?: FreezeWindow): ProbeLatency {
  const all = Array.from({ length: nodes }, (_, i) => i);
  if (!freeze) {
    return { probes: probes.length, latency: summary(probes.map((p) => until(p, all.filter((n) => n !== p.node)))) };
  }
  const f = freeze.node;
  const normal = probes.filter((p) => p.node !== f).map((p) => until(p, all.filter((n) => n !== p.node && n !== f)));
  // Every (probe, node) pair that involves the frozen node.
  const pairs = probes.flatMap((p) => (p.node === f ? all.filter((n) => n !== f) : [f]).map((target) => ({ p, target })));
  let latest = freeze.thawedAt;
  let catchUpMisses = 0;
  let catchUpPairs = 0;
  const afterThaw: Array<number | undefined> = [];
  for (const { p, target } of pairs) {
    const at = p.arrivals[target];
    if (p.writtenAt >= freeze.thawedAt) {
      afterThaw.push(at === undefined ? undefined : at - p.writtenAt);
      continue;
    }
    if (at !== undefined && at < freeze.frozenAt) continue;
    catchUpPairs++;
    if (at === undefined) catchUpMisses++;
    else latest = Math.max(latest, at);
  }
  return {
    probes: probes.length,
    latency: summary(normal),
    frozen: {
      node: f,
      caughtUpAfterThawMs: catchUpMisses > 0 ? undefined : latest - freeze.thawedAt,
      catchUpMisses,
      catchUpPairs,
      afterThaw: summary(afterThaw),
    },
  };
}

import { csync2TimeLines } from './churn-csync2-times.js';
import type { ChurnRunResult } from './churn-run.js';
import type { SystemKind } from './churn-systems.js';
import type { Row } from './report.js';

/** The daemon's target line in the churn. */
export const CHURN_TARGETS = { probeMaxMs: 2000, probeP99Ms: 1000, identicalS: 2, lost: 0, catchUpS: 60 } as const;

type Pick = (run: ChurnRunResult) => number | undefined;

/**
 * Table rows for one churn run: the daemon's figures as the value, the -x
 * loop's as the baseline, another script's under its own name.
 */
export function churnRows(runs: Partial<Record<SystemKind, ChurnRunResult>>, label = ''): Row[] {
  const ours = runs.daemon;
  const loop = runs.loop;
  const other = runs.other;
  const row = (figure: string, unit: string, pick: Pick, target?: Row['target']): Row => ({
    figure: `${label}${figure}`,
    unit,
    value: ours ? pick(ours) : undefined,
    baseline: loop ? pick(loop) : undefined,
    ...(target ? { target } : {}),
    ...(other ? { others: { [other.system]: pick(other) } } : {}),
  });
  const any = ours ?? loop ?? other;
  const frozen = any?.freeze !== undefined;
  const to = frozen ? ` to non-frozen nodes` : '';
  const rows: Row[] = [
    row(`probe latency p50${to}`, 'ms', (r) => r.probes.latency.p50),
    row(`probe latency p90${to}`, 'ms', (r) => r.probes.latency.p90),
    row(`probe latency p99${to}`, 'ms', (r) => r.probes.latency.p99, { op: '<=', value: CHURN_TARGETS.probeP99Ms }),
    row(`probe latency max${to}`, 'ms', (r) => r.probes.latency.max, { op: '<=', value: CHURN_TARGETS.probeMaxMs }),
    row(`probe misses${to}`, '', (r) => r.probes.latency.misses, { op: '<=', value: 0 }),
  ];
  if (frozen) {
    const node = any?.freeze?.node;
    rows.push(
      row(`frozen node ${node}: caught up after thaw`, 's', (r) => (r.probes.frozen?.caughtUpAfterThawMs === undefined ? undefined : r.probes.frozen.caughtUpAfterThawMs / 1000), { op: '<=', value: CHURN_TARGETS.catchUpS }),
      row(`frozen node ${node}: probes never caught up`, '', (r) => r.probes.frozen?.catchUpMisses, { op: '<=', value: 0 }),
      row(`frozen node ${node}: probe p99 after thaw`, 'ms', (r) => r.probes.frozen?.afterThaw.p99),
      row(`frozen node ${node}: probe max after thaw`, 'ms', (r) => r.probes.frozen?.afterThaw.max),
    );
  }
  const nodes = any?.nodes ?? 0;
  for (let i = 0; i < nodes; i++) rows.push(row(`ops done, node ${i}`, '', (r) => r.writers[i]?.ops));
  rows.push(
    row('writer ops that failed', '', (r) => r.writers.reduce((sum, w) => sum + w.failures, 0)),
    row('identical after writers stop', 's', (r) => (r.identicalAfterMs === undefined ? undefined : r.identicalAfterMs / 1000), { op: '<=', value: CHURN_TARGETS.identicalS }),
    row('changes lost or reverted (path × node)', '', (r) => r.lost.count, { op: '<=', value: CHURN_TARGETS.lost }),
    row('  reverted on the writer itself', '', (r) => r.lost.revertedOnWriter),
    row('  lost on peers', '', (r) => r.lost.lostOnPeers),
  );
  return rows;
}

/** Plain lines: convergence per system, and the first 20 lost or reverted changes with what was expected and found. */
export function churnDetails(runs: ChurnRunResult[], settleDeadlineS: number): string {
  const lines: string[] = [];
  for (const run of runs) {
    const identical = run.identicalAfterMs === undefined ? `NOT identical within ${settleDeadlineS} s` : `identical ${(run.identicalAfterMs / 1000).toFixed(2)} s after the writers stopped`;
    lines.push(`${run.system}: ${identical}; ${run.lost.count} lost/reverted (${run.lost.distinctPaths} paths; ${run.lost.revertedOnWriter} reverted on the writer, ${run.lost.lostOnPeers} lost on peers); writer ops ${run.writers.map((w) => w.ops).join(' / ')}, failed ${run.writers.map((w) => w.failures).join(' / ')}`);
    if (run.csync2Times) lines.push(...csync2TimeLines(run.system, run.csync2Times));
    if (run.fullTreeIdentical !== undefined) lines.push(`  whole tree (big) identical on every node at the end: ${run.fullTreeIdentical ? 'yes' : 'NO'}`);
    for (const d of run.differencesAtDeadline) {
      lines.push(`  node ${d.node} differs from node 0 in ${d.count} paths:`);
      for (const path of d.paths.slice(0, 10)) lines.push(`    ${path}`);
    }
    for (const c of run.lost.changes.slice(0, 20)) {
      lines.push(`  ${c.path} on node ${c.node}${c.node === c.writer ? ' (the writer: reverted)' : ` (writer ${c.writer}: lost)`}: expected ${c.expected}, found ${c.found}`);
    }
    if (run.lost.changes.length > 20) lines.push(`  ... and ${run.lost.changes.length - 20} more (all in the JSON)`);
    for (const w of run.writers) for (const f of w.failureSamples.slice(0, 3)) lines.push(`  writer ${w.subtree} op failed: ${f}`);
  }
  return lines.join('\n');
}

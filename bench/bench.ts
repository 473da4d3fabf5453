/**
 * `npm run bench`: latency and burst on a real two-node csync2 cluster on
 * loopback (the daemon on both nodes vs the status-quo `csync2 -x` loop, and
 * optionally another daemon from INOTIFY_CSYNC_BENCH_OTHER), plus the queue's
 * own throughput and per-cycle cost. Prints a table, writes
 * bench/results/bench-<timestamp>.json and bench/results/latest-bench.json.
 *
 * Options (for quick runs while developing): --writes N --interval-ms MS
 * --poll-ms MS --burst-files N --burst-dirs N --queue-records N --no-baseline
 * --batch-files N (0 skips the rsync comparison) --burst-rsync-threshold N (0 skips)
 * --daemon-arg=OPTION (repeatable, passed to both daemons, e.g. --daemon-arg=--debug)
 */
import { parseArgs } from 'node:util';
import { DaemonAgent, OtherAgent, RsyncDaemonAgent, XLoopAgent } from './lib/agents.js';
import { burstFloor } from './lib/burst-floor.js';
import { largeBatchRun } from './lib/large-batch.js';
import { loadAverage, machineInfo } from './lib/proc.js';
import { queueBench } from './lib/queue-bench.js';
import { markdownTable, textTable, verdict, writeResults, type Row } from './lib/report.js';
import { Cleanup, runAgentWorkloads, type AgentRun } from './lib/run.js';

const { values: args } = parseArgs({
  options: {
    writes: { type: 'string', default: '40' },
    'interval-ms': { type: 'string', default: '1000' },
    'poll-ms': { type: 'string', default: '2' },
    'deadline-ms': { type: 'string', default: '10000' },
    'burst-files': { type: 'string', default: '2000' },
    'burst-dirs': { type: 'string', default: '20' },
    'queue-records': { type: 'string', default: '200000' },
    'no-baseline': { type: 'boolean', default: false },
    /** Files of the large-batch comparison (rsync + csync2 vs csync2 alone); 0 skips it. */
    'batch-files': { type: 'string', default: '5000' },
    /** --rsync-threshold of the extra burst run through rsync; 0 skips it. */
    'burst-rsync-threshold': { type: 'string', default: '1000' },
    /** Extra daemon option, repeatable: --daemon-arg=--mode --daemon-arg=thread */
    'daemon-arg': { type: 'string', multiple: true, default: [] },
  },
});

const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function main(): Promise<void> {
  const startedAt = new Date();
  const machine = machineInfo();
  log(`bench on ${machine.cores} cores (${machine.cpuModel}), load ${loadAverage()}; csync2 ${machine.csync2}, inotifywait ${machine.inotifywait}, node ${machine.node}`);
  const cleanup = new Cleanup();
  const latency = {
    writes: Number(args.writes),
    intervalMs: Number(args['interval-ms']),
    pollMs: Number(args['poll-ms']),
    deadlineMs: Number(args['deadline-ms']),
  };
  const burst = { files: Number(args['burst-files']), dirs: Number(args['burst-dirs']), deadlineMs: 120_000, bytes: 1024 };
  const queueRecords = Number(args['queue-records']);
  try {
    log(`queue: ${queueRecords} records through writer, reader and deduplication; per-cycle cost at 10 and ${queueRecords} records`);
    const queue = await queueBench({ records: queueRecords, distinct: Math.ceil(queueRecords / 4), runs: 5, bigFile: queueRecords, smallFile: 10, newPerCycle: 10, cycles: 2000, tailCycles: 30 });
    log(`queue: writer ${Math.round(queue.writerPerSec)}/s, reader ${Math.round(queue.readerPerSec)}/s, dedup ${Math.round(queue.dedupPerSec)}/s; cycle ${queue.cycleSmallUs.p50.toFixed(1)} µs vs ${queue.cycleBigUs.p50.toFixed(1)} µs, heap kept ${queue.cycleSmallUs.retainedKb.toFixed(0)} vs ${queue.cycleBigUs.retainedKb.toFixed(0)} kB`);

    const ours = await runAgentWorkloads(cleanup, (cluster) => new DaemonAgent(cluster, { args: args['daemon-arg'] }), latency, burst, log);
    const daemonReadyMs = (ours.extra as DaemonAgent).readyMs;
    const baseline = args['no-baseline'] ? undefined : await runAgentWorkloads(cleanup, (cluster) => new XLoopAgent(cluster), latency, burst, log);
    const xloop = baseline?.extra as XLoopAgent | undefined;
    const otherCommand = process.env.INOTIFY_CSYNC_BENCH_OTHER?.trim();
    let other: (AgentRun & { argv: string[] }) | undefined;
    if (otherCommand) {
      let argv: string[] = [];
      const run = await runAgentWorkloads(cleanup, (cluster) => {
        const agent = new OtherAgent(cluster, otherCommand);
        argv = agent.argv;
        return agent;
      }, latency, burst, log);
      other = { ...run, argv };
    }

    log(`burst floor: the same ${burst.files} files, one csync2 -cr of their directories and one csync2 -u, nothing else running`);
    const floor = await burstFloor({ files: burst.files, dirs: burst.dirs, bytes: burst.bytes, prefix: 'burst' });
    log(`burst floor: -cr ${floor.checkMs.toFixed(0)} ms + -u ${floor.updateMs.toFixed(0)} ms${floor.missing ? ` (${floor.missing} files NOT on B)` : ''}`);
    const rsyncThreshold = Number(args['burst-rsync-threshold']);
    const rsyncBurst = rsyncThreshold > 0
      ? await runAgentWorkloads(cleanup, (cluster) => new RsyncDaemonAgent(cluster, rsyncThreshold, args['daemon-arg']), latency, burst, log, 'burst')
      : undefined;
    const batchFiles = Number(args['batch-files']);
    const batch = batchFiles > 0 ? { rsync: await largeBatchRun({ files: batchFiles, bytes: 8192, nodes: 2, withRsync: true }), csync2: await largeBatchRun({ files: batchFiles, bytes: 8192, nodes: 2, withRsync: false }) } : undefined;
    if (batch) log(`large batch of ${batchFiles} files: on the peer after ${(batch.rsync.arrivalMs / 1000).toFixed(1)} s with rsync, ${(batch.csync2.arrivalMs / 1000).toFixed(1)} s with csync2 alone`);

    const others = (pick: (run: AgentRun) => number | undefined): Record<string, number | undefined> | undefined =>
      other ? { [other.agent]: pick(other) } : undefined;
    const latencyRow = (figure: string, key: 'p50' | 'p90' | 'p99' | 'max', target?: number): Row => ({
      figure: `latency ${figure}`,
      unit: 'ms',
      value: ours.latency[key],
      baseline: baseline?.latency[key],
      ...(target !== undefined ? { target: { op: '<=', value: target } } : {}),
      others: others((run) => run.latency[key]),
    });
    const rows: Row[] = [
      latencyRow('p50', 'p50', 120),
      latencyRow('p90', 'p90', 250),
      latencyRow('p99', 'p99'),
      latencyRow('max', 'max', 500),
      { figure: 'latency misses', unit: '', value: ours.latency.misses, target: { op: '<=', value: 0 }, baseline: baseline?.latency.misses, others: others((run) => run.latency.misses) },
      { figure: `burst ${burst.files} files / ${burst.dirs} new dirs`, unit: 'ms', value: ours.burst.ms, baseline: baseline?.burst.ms, target: baseline?.burst.ms === undefined ? undefined : { op: '<=', value: baseline.burst.ms / 2 }, others: others((run) => run.burst.ms) },
      { figure: 'burst: csync2\'s own floor (-cr + -u)', unit: 'ms', value: floor.checkMs + floor.updateMs, baseline: baseline?.burst.ms },
      { figure: 'burst ÷ floor', unit: '×', value: ours.burst.ms === undefined ? undefined : ours.burst.ms / (floor.checkMs + floor.updateMs) },
      ...(rsyncBurst ? [{ figure: `burst with --rsync-threshold ${rsyncThreshold}`, unit: 'ms', value: rsyncBurst.burst.ms, baseline: baseline?.burst.ms, target: baseline?.burst.ms === undefined ? undefined : { op: '<=' as const, value: baseline.burst.ms / 2 } }] : []),
      ...(batch
        ? [
          { figure: `${batchFiles} new files of 8 KiB: on peer, rsync`, unit: 'ms', value: batch.rsync.arrivalMs, baseline: batch.csync2.arrivalMs, baselineLabel: 'csync2 alone' },
          { figure: `${batchFiles} new files: csync2 clean, rsync`, unit: 'ms', value: batch.rsync.cleanMs, baseline: batch.csync2.cleanMs, baselineLabel: 'csync2 alone' },
        ]
        : []),
      { figure: 'queue writer (append + flush)', unit: 'rec/s', value: queue.writerPerSec, target: { op: '>=', value: 200_000 } },
      { figure: 'queue reader (readBatch)', unit: 'rec/s', value: queue.readerPerSec, target: { op: '>=', value: 200_000 } },
      { figure: 'deduplication (Set)', unit: 'rec/s', value: queue.dedupPerSec, target: { op: '>=', value: 200_000 } },
      { figure: 'collapseToAncestors', unit: 'paths/s', value: queue.collapsePerSec, target: { op: '>=', value: 200_000 } },
      { figure: 'read cycle, 10 new at 10 rec', unit: 'µs', value: queue.cycleSmallUs.p50, baseline: queue.tailSmallUs, baselineLabel: 'tail -n +N' },
      { figure: `read cycle, 10 new at ${queueRecords} rec`, unit: 'µs', value: queue.cycleBigUs.p50, baseline: queue.tailBigUs, baselineLabel: 'tail -n +N' },
      {
        figure: `read cycle growth ${queueRecords}/10 rec`,
        unit: '×',
        value: queue.cycleBigUs.p50 / queue.cycleSmallUs.p50,
        target: { op: '<=', value: 1.5 },
        baseline: queue.tailBigUs / queue.tailSmallUs,
        baselineLabel: 'tail -n +N',
      },
      // Memory does not grow with the queue file: what the reader keeps is the same at both sizes.
      {
        figure: `JS heap kept by ${queue.options.cycles} cycles at ${queueRecords} rec`,
        unit: 'kB',
        value: queue.cycleBigUs.retainedKb,
        target: { op: '<=', value: Math.max(0, queue.cycleSmallUs.retainedKb) + 64 },
        baseline: queue.cycleSmallUs.retainedKb,
        baselineLabel: 'at 10 rec',
      },
    ];
    const verdicts = rows.map(verdict);
    const table = textTable(verdicts);
    const finishedAt = new Date();
    const header = `${startedAt.toISOString().slice(0, 10)}, ${machine.cores} cores ${machine.cpuModel}, csync2 ${machine.csync2}, node ${machine.node}; load ${ours.load.before}→${loadAverage()} (shared machine)`;
    console.log(`\n${header}\n${table}\n`);
    console.log('ratio = inotify-csync / baseline (times: lower is better).');
    const files = writeResults('bench', {
      name: 'bench',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationS: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      machine,
      loadAverage: { end: loadAverage() },
      settings: { latency, burst, queueRecords, other: other?.argv },
      rows: verdicts,
      daemon: { readyMs: daemonReadyMs, run: { ...ours, extra: undefined }, logs: { a: (ours.extra as DaemonAgent).logs[0], b: (ours.extra as DaemonAgent).logs[1] } },
      baseline: baseline ? { run: { ...baseline, extra: undefined }, passMs: xloop?.passMs, exitCodes: Object.fromEntries(xloop?.exitCodes ?? []) } : undefined,
      other: other ? { ...other, extra: undefined } : undefined,
      queue,
      burstFloor: floor,
      rsyncBurst: rsyncBurst ? { ...rsyncBurst, extra: undefined } : undefined,
      largeBatch: batch,
    }, `${header}\n\n${markdownTable(verdicts)}`);
    console.log(`results: ${files.join(', ')}`);
  } finally {
    await cleanup.run();
  }
}

main().catch((error: unknown) => {
  console.error(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 2;
});

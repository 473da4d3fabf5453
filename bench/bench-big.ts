/**
 * `npm run bench:big`: the daemon on a large tree (170,000 small files in
 * 1,700 directories on both nodes, identical, csync2 databases initialised
 * with `csync2 -cIr /` as an admin would): start-up time against the floor
 * (inotifywait -m -r until "Watches established." + one `csync2 -cr /`),
 * memory of the daemon and of its children, CPU and spawned processes over
 * an idle minute, and latency under that tree; the same idle minute and
 * latency for the status-quo `csync2 -x` loop. Prints a table, writes
 * bench/results/bench-big-<timestamp>.json and latest-bench-big.json.
 *
 * Last, the multi-master churn of `npm run bench:churn` with the daemon on
 * every node of a fresh cluster holding the same tree (--churn-nodes nodes for
 * --multi-churn-seconds; --no-multi-churn skips it).
 *
 * Options: --dirs N --files-per-dir N --idle-seconds S --writes N
 * --interval-ms MS --rounds N --churn-seconds S (memory after a single-writer
 * churn on A; 0 = not done) --churn-nodes N --multi-churn-seconds S
 * --multi-churn-rate OPS --seed N --no-multi-churn
 */
import { execa } from 'execa';
import { randomInt } from 'node:crypto';
import { rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { DaemonProcess } from '../src/cluster/daemon-process.js';
import { LocalCluster } from '../src/cluster/local-cluster.js';
import { DaemonAgent, waitUntilSyncing, XLoopAgent } from './lib/agents.js';
import { churnDetails, churnRows } from './lib/churn-report.js';
import { runChurn, type ChurnRunResult } from './lib/churn-run.js';
import { measureIdle, measureReapedChildren } from './lib/idle.js';
import { loadAverage, machineInfo, memoryOf, statusKb, type ProcessMemory } from './lib/proc.js';
import { markdownTable, textTable, verdict, writeResults, type Row } from './lib/report.js';
import { Cleanup, SETTLE_MS } from './lib/run.js';
import { median, sleep } from './lib/stats.js';
import { createTree, treeDir } from './lib/tree.js';
import { latencyWorkload, type LatencyResult } from './lib/workloads.js';

/** The single file `npm run bundle` writes (bench:big builds it first). */
const BUNDLE_ENTRY = fileURLToPath(new URL('../dist/inotify-csync.mjs', import.meta.url));

const { values: args } = parseArgs({
  options: {
    dirs: { type: 'string', default: '1700' },
    'files-per-dir': { type: 'string', default: '100' },
    'idle-seconds': { type: 'string', default: '60' },
    writes: { type: 'string', default: '40' },
    'interval-ms': { type: 'string', default: '1000' },
    'poll-ms': { type: 'string', default: '2' },
    rounds: { type: 'string', default: '5' },
    'churn-seconds': { type: 'string', default: process.env.INOTIFY_CSYNC_BENCH_CHURN_SECONDS ?? '0' },
    'no-baseline': { type: 'boolean', default: false },
    /** Nodes of the multi-master churn phase (bench:churn on this tree, the daemon on every node). */
    'churn-nodes': { type: 'string', default: '3' },
    'multi-churn-seconds': { type: 'string', default: '30' },
    /** Writer operations per second, per node, in the multi-master churn. */
    'multi-churn-rate': { type: 'string', default: '24' },
    /** Seed of the multi-master churn's writers; a new one each run by default. */
    seed: { type: 'string' },
    'no-multi-churn': { type: 'boolean', default: false },
  },
});

const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

async function timed<T>(work: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await work();
  return { ms: performance.now() - started, value };
}

/** `inotifywait -m -r DIR` until it prints "Watches established.", then ended. */
async function inotifywaitSetupMs(dir: string): Promise<number> {
  const started = performance.now();
  const child = execa('inotifywait', ['-m', '-r', '--', dir], { stdin: 'ignore', stdout: 'ignore', stderr: 'pipe', buffer: false, reject: false });
  let text = '';
  await new Promise<void>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      if (text.includes('Watches established.')) resolve();
    });
    void child.then(() => reject(new Error(`inotifywait ended before establishing its watches: ${text}`)));
  });
  const ms = performance.now() - started;
  child.kill('SIGTERM');
  await child;
  return ms;
}

/** A csync2 call as node `index`, timed; fails on a non-zero exit. */
async function csync2Ms(cluster: LocalCluster, index: number, csync2Args: string[]): Promise<number> {
  const { ms, value } = await timed(() => cluster.csync2(index, csync2Args));
  if (value.exitCode !== 0) throw new Error(`csync2 ${csync2Args.join(' ')} (node ${index}) exited ${value.exitCode}: ${String(value.stderr).slice(0, 500)}`);
  return ms;
}

/** Seconds from a log line like "... in 1.2 s". */
function secondsIn(lines: string[], pattern: RegExp): number | undefined {
  for (const line of lines) {
    const match = pattern.exec(line);
    if (match?.[1]) return Number(match[1]) * 1000;
  }
  return undefined;
}

function memorySummary(memory: ProcessMemory, pid: number): Record<string, unknown> {
  return { ...memory, selfHwmKb: statusKb(pid, 'VmHWM') };
}

/** A daemon is at rest this long after its last batch: its first idle check (2 to 7 s) has run. */
const AT_REST_MS = 8000;

/** Random creates, writes, renames and deletes on A for `seconds` (lsyncd's churn test in spirit), then a wait for quiet. */
async function churn(cluster: LocalCluster, dirs: number, seconds: number): Promise<number> {
  const a = cluster.node(0).dir;
  const live: string[] = [];
  let ops = 0;
  const until = performance.now() + seconds * 1000;
  while (performance.now() < until) {
    const dir = treeDir(Math.floor(Math.random() * dirs));
    const roll = Math.random();
    if (roll < 0.5 || live.length < 10) {
      const rel = join(dir, `churn-${ops}.txt`);
      await writeFile(join(a, rel), `churn ${ops} ${Math.random()}\n`);
      live.push(rel);
    } else if (roll < 0.7) {
      const rel = live[Math.floor(Math.random() * live.length)] as string;
      await writeFile(join(a, rel), `rewritten ${ops} ${Math.random()}\n`);
    } else if (roll < 0.85) {
      const index = Math.floor(Math.random() * live.length);
      const rel = live[index] as string;
      const to = join(treeDir(Math.floor(Math.random() * dirs)), `churn-moved-${ops}.txt`);
      await rename(join(a, rel), join(a, to));
      live[index] = to;
    } else {
      const rel = live.splice(Math.floor(Math.random() * live.length), 1)[0] as string;
      await rm(join(a, rel), { force: true });
    }
    ops++;
    await sleep(20);
  }
  return ops;
}

async function main(): Promise<void> {
  const startedAt = new Date();
  const machine = machineInfo();
  const spec = { dirs: Number(args.dirs), filesPerDir: Number(args['files-per-dir']) };
  const idleSeconds = Number(args['idle-seconds']);
  const rounds = Number(args.rounds);
  const churnSeconds = Number(args['churn-seconds']);
  const latencyOptions = { writes: Number(args.writes), intervalMs: Number(args['interval-ms']), pollMs: Number(args['poll-ms']), deadlineMs: 10_000 };
  const latencyDirs = Array.from({ length: latencyOptions.writes }, (_, i) => treeDir(Math.floor((i * spec.dirs) / latencyOptions.writes)));
  log(`bench:big on ${machine.cores} cores (${machine.cpuModel}), load ${loadAverage()}; ${spec.dirs * spec.filesPerDir} files in ${spec.dirs} dirs per node`);
  const cleanup = new Cleanup();
  const cluster = await LocalCluster.create({ nodes: 2 });
  const destroyCluster = cleanup.add(() => cluster.destroy());
  const raw: Record<string, unknown> = {};
  try {
    const [a, b] = [cluster.node(0), cluster.node(1)];
    const create = await timed(() => createTree([a.dir, b.dir], spec));
    log(`created ${create.value} files (both nodes) in ${(create.ms / 1000).toFixed(1)} s`);
    const initA = await csync2Ms(cluster, 0, ['-cIr', '/']);
    const initB = await csync2Ms(cluster, 1, ['-cIr', '/']);
    log(`csync2 -cIr / took ${(initA / 1000).toFixed(1)} s on A, ${(initB / 1000).toFixed(1)} s on B`);
    raw.setup = { createMs: create.ms, files: create.value, initMs: { a: initA, b: initB } };

    // Start-up against the floor, alternated so that both see the same machine load; B runs a plain server.
    await cluster.startServer(1);
    const floor: Array<{ inotifywaitMs: number; checkMs: number; ms: number }> = [];
    const startup: Array<{ ms: number; watchesMs?: number; fullSyncMs?: number; load: number; log: string[] }> = [];
    for (let round = 0; round < rounds; round++) {
      const inotifywaitMs = await inotifywaitSetupMs(a.dir);
      const checkMs = await csync2Ms(cluster, 0, ['-cr', '/']);
      floor.push({ inotifywaitMs, checkMs, ms: inotifywaitMs + checkMs });
      const load = loadAverage();
      const started = performance.now();
      const daemon = DaemonProcess.start(cluster, 0);
      const stop = cleanup.add(() => daemon.stop());
      await daemon.ready(300_000);
      const ms = performance.now() - started;
      await stop();
      startup.push({
        ms,
        watchesMs: secondsIn(daemon.lines, /watches established in ([\d.]+) s/),
        fullSyncMs: secondsIn(daemon.lines, /FULL SYNC done in ([\d.]+) s/),
        load,
        log: daemon.lines.slice(0, 40),
      });
      log(`round ${round + 1}: floor ${floor.at(-1)?.ms.toFixed(0)} ms (inotifywait ${inotifywaitMs.toFixed(0)} + csync2 -cr / ${checkMs.toFixed(0)}), daemon start to ready ${ms.toFixed(0)} ms`);
    }
    // The single file (`npm run bundle`), as copied to /usr/local/bin: its memory on the same tree.
    const single = DaemonProcess.start(cluster, 0, { entry: BUNDLE_ENTRY });
    const stopSingle = cleanup.add(() => single.stop());
    await single.ready(300_000);
    // At rest: past the first idle check (2 to 7 s after the last batch), as for dist/ below.
    await sleep(AT_REST_MS);
    const memorySingle = memoryOf(single.pid as number);
    await stopSingle();
    log(`single file: RSS ${(memorySingle.selfKb / 1024).toFixed(1)} MB, children ${(memorySingle.childrenKb / 1024).toFixed(1)} MB`);
    raw.memorySingleFile = memorySingle;
    await cluster.stopServer(1);
    raw.startup = { floor, daemon: startup };
    // The machine is shared: the best of N rounds is the least disturbed measurement of each; medians are shown too.
    const floorMs = median(floor.map((f) => f.ms));
    const startupMs = median(startup.map((s) => s.ms));
    const floorBestMs = Math.min(...floor.map((f) => f.ms));
    const startupBestMs = Math.min(...startup.map((s) => s.ms));
    (raw.startup as Record<string, unknown>).pairedRatios = startup.map((s, i) => s.ms / (floor[i]?.ms ?? Number.NaN));

    // The daemon on both nodes: memory, an idle minute, latency under the tree.
    const agent = new DaemonAgent(cluster, {}, 300_000);
    const stopAgent = cleanup.add(() => agent.stop());
    await agent.start();
    await waitUntilSyncing(cluster, 'probe-daemon.txt', 60_000);
    await sleep(AT_REST_MS);
    const pid = agent.pid as number;
    const memoryIdle = memoryOf(pid);
    log(`daemon A (PID ${pid}) RSS ${(memoryIdle.selfKb / 1024).toFixed(1)} MB, children ${(memoryIdle.childrenKb / 1024).toFixed(1)} MB (${memoryIdle.children.map((c) => `${c.comm} ${(c.rssKb / 1024).toFixed(1)}`).join(', ')}); idle for ${idleSeconds} s`);
    const idle = await measureIdle(pid, idleSeconds);
    log(`idle: ${idle.cpuSeconds.toFixed(2)} CPU s (${idle.cpuPercent.toFixed(3)} % of a core), ${idle.spawned.length} processes spawned`);
    const latency = await latencyWorkload(cluster, { ...latencyOptions, dirs: latencyDirs, prefix: 'lat-daemon' });
    log(`latency under the tree: p50 ${latency.p50.toFixed(0)} ms, p90 ${latency.p90.toFixed(0)} ms, max ${latency.max.toFixed(0)} ms, ${latency.misses} misses`);
    const memoryAfterLatency = memoryOf(pid);
    let churnResult: { seconds: number; ops: number; memory: Record<string, unknown> } | undefined;
    if (churnSeconds > 0) {
      log(`churn for ${churnSeconds} s`);
      const ops = await churn(cluster, spec.dirs, churnSeconds);
      await waitUntilSyncing(cluster, 'probe-after-churn.txt', 120_000);
      // Idle again: the daemon gives a busy spell's memory back at its first idle check (2 to 7 s after its last batch).
      await sleep(12_000);
      const memoryAfterChurn = memoryOf(pid);
      churnResult = { seconds: churnSeconds, ops, memory: memorySummary(memoryAfterChurn, pid) };
      log(`after ${ops} churn operations: RSS ${(memoryAfterChurn.selfKb / 1024).toFixed(1)} MB, children ${(memoryAfterChurn.childrenKb / 1024).toFixed(1)} MB`);
    }
    raw.daemon = {
      readyMs: agent.readyMs,
      memoryIdle: memorySummary(memoryIdle, pid),
      memoryAfterLatency: memorySummary(memoryAfterLatency, pid),
      idle,
      latency,
      churn: churnResult ?? 'not done (pass --churn-seconds 600 for the 10-minute churn)',
    };
    await stopAgent();
    (raw.daemon as Record<string, unknown>).logs = { a: agent.logs[0], b: agent.logs[1] };

    // The status quo on the same tree.
    let base: { latency: LatencyResult; idle: Awaited<ReturnType<typeof measureReapedChildren>>; peakRssKb: number; passMs: number[]; exitCodes: Record<string, number> } | undefined;
    if (!args['no-baseline']) {
      const xloop = new XLoopAgent(cluster);
      const stopX = cleanup.add(() => xloop.stop());
      await xloop.start();
      await waitUntilSyncing(cluster, 'probe-xloop.txt', 120_000);
      await sleep(SETTLE_MS);
      log(`csync2 -x loop: idle for ${idleSeconds} s`);
      const xIdle = await measureReapedChildren(idleSeconds, () => xloop.passes);
      log(`csync2 -x loop idle: ${xIdle.cpuSeconds.toFixed(1)} CPU s (${xIdle.cpuPercent.toFixed(1)} % of a core), ${xIdle.spawned} csync2 -x runs`);
      const xLatency = await latencyWorkload(cluster, { ...latencyOptions, dirs: latencyDirs, prefix: 'lat-xloop' });
      log(`csync2 -x loop latency: p50 ${xLatency.p50.toFixed(0)} ms, p90 ${xLatency.p90.toFixed(0)} ms, max ${xLatency.max.toFixed(0)} ms, ${xLatency.misses} misses`);
      await stopX();
      base = { latency: xLatency, idle: xIdle, peakRssKb: xloop.peakRssKb, passMs: xloop.passMs, exitCodes: Object.fromEntries(xloop.exitCodes) };
      raw.baseline = base;
    }

    // The multi-master churn on a fresh cluster with the same tree (this one's disk space is given back first).
    let multiChurn: ChurnRunResult | undefined;
    const churnSeed = args.seed === undefined ? randomInt(1, 2 ** 31) : Number(args.seed);
    if (!args['no-multi-churn']) {
      await destroyCluster();
      log(`multi-master churn: ${args['churn-nodes']} nodes, the daemon on each, ${args['multi-churn-seconds']} s at ${args['multi-churn-rate']} ops/s per node, seed ${churnSeed}`);
      multiChurn = await runChurn(cleanup, 'daemon', {
        nodes: Number(args['churn-nodes']),
        rate: Number(args['multi-churn-rate']),
        seconds: Number(args['multi-churn-seconds']),
        seed: churnSeed,
        probeDeadlineMs: 60_000,
        settleDeadlineMs: 60_000,
        bigTree: spec,
        settings: { daemonArgs: [], readyTimeoutMs: 600_000 },
      }, log);
      raw.multiChurn = multiChurn;
    }

    const mb = (kb: number): number => kb / 1024;
    const rows: Row[] = [
      { figure: `csync2 -cIr / (init), node A`, unit: 'ms', value: initA, note: 'setup, not a target' },
      { figure: `csync2 -cIr / (init), node B`, unit: 'ms', value: initB, note: 'setup, not a target' },
      { figure: `start to ready (best of ${rounds})`, unit: 'ms', value: startupBestMs, target: { op: '<=', value: floorBestMs * 1.2 }, baseline: floorBestMs, baselineLabel: 'floor' },
      { figure: `start to ready (median of ${rounds})`, unit: 'ms', value: startupMs, target: { op: '<=', value: floorMs * 1.2 }, baseline: floorMs, baselineLabel: 'floor' },
      { figure: 'daemon RSS', unit: 'MB', value: mb(memoryIdle.selfKb) },
      { figure: 'children RSS', unit: 'MB', value: mb(memoryIdle.childrenKb) },
      { figure: 'daemon + children RSS', unit: 'MB', value: mb(memoryIdle.selfKb + memoryIdle.childrenKb), target: { op: '<=', value: 60 }, baseline: base ? mb(base.peakRssKb) : undefined, baselineLabel: base ? 'csync2 -x peak' : undefined },
      { figure: 'same, single file (dist/inotify-csync.mjs)', unit: 'MB', value: mb(memorySingle.selfKb + memorySingle.childrenKb), target: { op: '<=', value: 60 } },
      { figure: `idle CPU over ${idleSeconds} s`, unit: '%', value: idle.cpuPercent, target: { op: '<=', value: 0.2 }, baseline: base?.idle.cpuPercent },
      { figure: 'processes spawned while idle', unit: '', value: idle.spawned.length, target: { op: '<=', value: 0 }, baseline: base?.idle.spawned },
      { figure: 'latency p50', unit: 'ms', value: latency.p50, target: { op: '<=', value: 120 }, baseline: base?.latency.p50 },
      { figure: 'latency p90', unit: 'ms', value: latency.p90, target: { op: '<=', value: 250 }, baseline: base?.latency.p90 },
      { figure: 'latency p99', unit: 'ms', value: latency.p99, baseline: base?.latency.p99 },
      { figure: 'latency max', unit: 'ms', value: latency.max, target: { op: '<=', value: 500 }, baseline: base?.latency.max },
      { figure: 'latency misses', unit: '', value: latency.misses, target: { op: '<=', value: 0 }, baseline: base?.latency.misses },
    ];
    if (churnResult) {
      const memory = churnResult.memory as unknown as ProcessMemory;
      rows.push({ figure: `RSS after ${churnSeconds} s churn`, unit: 'MB', value: mb(memory.selfKb + memory.childrenKb), target: { op: '<=', value: 60 } });
    }
    if (multiChurn) rows.push(...churnRows({ daemon: multiChurn }, `churn ${multiChurn.nodes} nodes: `));
    const verdicts = rows.map(verdict);
    const header = `${startedAt.toISOString().slice(0, 10)}, ${machine.cores} cores ${machine.cpuModel}, csync2 ${machine.csync2}, node ${machine.node}; ${spec.dirs * spec.filesPerDir} files in ${spec.dirs} dirs per node; load ${loadAverage()} (shared machine)${multiChurn ? `; churn seed ${multiChurn.seed}` : ''}`;
    console.log(`\n${header}\n${textTable(verdicts)}\n`);
    if (multiChurn) console.log(`${churnDetails([multiChurn], 60)}\n`);
    console.log('ratio = inotify-csync / baseline; start-up baseline = floor (inotifywait -m -r until "Watches established." + csync2 -cr /).');
    console.log(`memory after a churn: ${churnResult ? 'done' : 'not done (--churn-seconds 600)'}`);
    const finishedAt = new Date();
    const files = writeResults('bench-big', {
      name: 'bench-big',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationS: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      machine,
      loadAverage: { end: loadAverage() },
      settings: { spec, idleSeconds, rounds, latency: latencyOptions, churnSeconds, multiChurn: args['no-multi-churn'] ? 'skipped' : { nodes: Number(args['churn-nodes']), seconds: Number(args['multi-churn-seconds']), rate: Number(args['multi-churn-rate']), seed: churnSeed } },
      rows: verdicts,
      ...raw,
    }, `${header}\n\n${markdownTable(verdicts)}`);
    console.log(`results: ${files.join(', ')}`);
  } finally {
    await cleanup.run();
  }
}

main().catch((error: unknown) => {
  console.error(`bench:big failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 2;
});

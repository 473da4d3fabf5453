/**
 * `npm run bench:churn`: a multi-master churn on a real csync2 cluster on
 * loopback (`auto younger`). Every node runs the sync system under test (the
 * daemon, the status-quo `csync2 -x; sleep 1` loop, optionally another script
 * from INOTIFY_CSYNC_BENCH_OTHER) and a writer that creates, rewrites,
 * appends, chmods, renames and deletes files and directories in its own
 * subtree w<node>/ from a seeded PRNG, plus one probe file a second. Measured
 * per system, each on a fresh cluster with the same seed: probe latency to
 * every other node, the time until all trees are identical after the writers
 * stop, and every writer change lost on a peer or reverted on the writer.
 * Prints a table, writes bench/results/churn-<timestamp>.json and latest-churn.json.
 *
 * Options: --nodes N --rate OPS (per node) --seconds S --seed N
 * --systems daemon,loop,other --big [--dirs N --files-per-dir N]
 * --daemon-arg=OPTION (repeatable) --freeze-peer I --freeze-at S --freeze-for S
 * --settle-deadline S --probe-deadline S
 * --db sqlite|sqlite-wal|pgsql|mariadb (csync2's database: SQLite files, in WAL mode, or a
 * PostgreSQL or MariaDB server started for each run; --wal = --db sqlite-wal)
 * --seeds N: N fresh seeds in a row (--seed replays one), each run printed, then the worst
 */
import { randomInt } from 'node:crypto';
import { parseArgs } from 'node:util';
import { churnDetails, churnRows } from './lib/churn-report.js';
import { runChurn, type ChurnOptions, type ChurnRunResult } from './lib/churn-run.js';
import type { SystemKind } from './lib/churn-systems.js';
import { loadAverage, machineInfo } from './lib/proc.js';
import { markdownTable, textTable, verdict, writeResults } from './lib/report.js';
import { Cleanup } from './lib/run.js';

const otherCommand = process.env.INOTIFY_CSYNC_BENCH_OTHER?.trim() || undefined;

const { values: args } = parseArgs({
  options: {
    nodes: { type: 'string', default: '3' },
    rate: { type: 'string', default: '24' },
    seconds: { type: 'string', default: '60' },
    seed: { type: 'string' },
    systems: { type: 'string', default: otherCommand ? 'daemon,loop,other' : 'daemon,loop' },
    big: { type: 'boolean', default: false },
    wal: { type: 'boolean', default: false },
    db: { type: 'string' },
    seeds: { type: 'string', default: '1' },
    dirs: { type: 'string', default: '1700' },
    'files-per-dir': { type: 'string', default: '100' },
    /** Extra daemon option, repeatable: --daemon-arg=--mode --daemon-arg=thread */
    'daemon-arg': { type: 'string', multiple: true, default: [] },
    'freeze-peer': { type: 'string' },
    'freeze-at': { type: 'string', default: '10' },
    'freeze-for': { type: 'string', default: '10' },
    'settle-deadline': { type: 'string', default: '60' },
    'probe-deadline': { type: 'string', default: '60' },
  },
});

const log = (line: string): void => console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);

/** A whole number of at least `min` from an option, or a message naming the option. */
function count(name: string, value: string | undefined, min: number): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be a whole number >= ${min}, got ${value}`);
  return n;
}

function positive(name: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a number > 0, got ${value}`);
  return n;
}

/** --db (and the older --wal) as the run's database settings. */
function databaseOptions(): { wal?: true; postgres?: true; mariadb?: true } {
  const db = args.db ?? (args.wal ? 'sqlite-wal' : 'sqlite');
  if (args.wal && db !== 'sqlite-wal') throw new Error(`--wal and --db ${db} disagree: --wal is --db sqlite-wal`);
  if (db === 'sqlite') return {};
  if (db === 'sqlite-wal') return { wal: true };
  if (db === 'pgsql') return { postgres: true };
  if (db === 'mariadb' || db === 'mysql') return { mariadb: true };
  throw new Error(`--db ${db}: expected sqlite, sqlite-wal, pgsql or mariadb`);
}

/** The database as the report names it. */
function databaseName(options: ChurnOptions): string {
  return options.postgres ? 'PostgreSQL' : options.mariadb ? 'MariaDB' : options.wal ? 'SQLite WAL' : 'SQLite';
}

function resolveOptions(): { options: ChurnOptions; systems: SystemKind[] } {
  const nodes = count('nodes', args.nodes, 2);
  const seconds = positive('seconds', args.seconds);
  const systems = (args.systems ?? '').split(',').map((s) => s.trim()).filter(Boolean);
  for (const s of systems) if (!['daemon', 'loop', 'other'].includes(s)) throw new Error(`--systems: unknown system ${s} (daemon, loop, other)`);
  if (systems.includes('other') && !otherCommand) throw new Error('--systems other needs INOTIFY_CSYNC_BENCH_OTHER="command args"');
  let freeze: ChurnOptions['freeze'];
  if (args['freeze-peer'] !== undefined) {
    const node = count('freeze-peer', args['freeze-peer'], 0);
    if (node >= nodes) throw new Error(`--freeze-peer ${node}: the cluster has nodes 0 to ${nodes - 1}`);
    freeze = { node, atS: Number(args['freeze-at']), forS: positive('freeze-for', args['freeze-for']) };
    if (!(freeze.atS >= 0) || freeze.atS + freeze.forS > seconds) throw new Error(`--freeze-at ${freeze.atS} --freeze-for ${freeze.forS} must end within --seconds ${seconds}`);
  }
  return {
    systems: systems as SystemKind[],
    options: {
      nodes,
      rate: positive('rate', args.rate),
      seconds,
      seed: args.seed === undefined ? randomInt(1, 2 ** 31) : count('seed', args.seed, 0),
      probeDeadlineMs: positive('probe-deadline', args['probe-deadline']) * 1000,
      settleDeadlineMs: positive('settle-deadline', args['settle-deadline']) * 1000,
      ...(args.big ? { bigTree: { dirs: count('dirs', args.dirs, 1), filesPerDir: count('files-per-dir', args['files-per-dir'], 1) } } : {}),
      ...(freeze ? { freeze } : {}),
      ...databaseOptions(),
      settings: { daemonArgs: args['daemon-arg'] ?? [], otherCommand, readyTimeoutMs: args.big ? 600_000 : 120_000 },
    },
  };
}

/** One seed: every system on a fresh cluster, the table printed and written. */
async function runSeed(options: ChurnOptions, systems: SystemKind[], machine: ReturnType<typeof machineInfo>): Promise<Partial<Record<SystemKind, ChurnRunResult>>> {
  const startedAt = new Date();
  const db = databaseName(options);
  log(`bench:churn seed ${options.seed} (replay with --seed ${options.seed}); ${options.nodes} nodes, ${options.rate} ops/s per node for ${options.seconds} s; systems ${systems.join(', ')}; csync2 on ${db}${options.bigTree ? `; big tree ${options.bigTree.dirs * options.bigTree.filesPerDir} files per node` : ''}${options.freeze ? `; node ${options.freeze.node} frozen at ${options.freeze.atS} s for ${options.freeze.forS} s` : ''}`);
  log(`on ${machine.cores} cores (${machine.cpuModel}), load ${loadAverage()}; csync2 ${machine.csync2}, inotifywait ${machine.inotifywait}, node ${machine.node}`);
  const cleanup = new Cleanup();
  const runs: Partial<Record<SystemKind, ChurnRunResult>> = {};
  try {
    for (const kind of systems) runs[kind] = await runChurn(cleanup, kind, options, log);
    const verdicts = churnRows(runs).map(verdict);
    const header = `churn seed ${options.seed}: ${options.nodes} nodes × ${options.rate} ops/s for ${options.seconds} s, csync2 on ${db}${options.bigTree ? `, big tree ${options.bigTree.dirs * options.bigTree.filesPerDir} files` : ''}${options.freeze ? `, node ${options.freeze.node} frozen ${options.freeze.atS}–${options.freeze.atS + options.freeze.forS} s` : ''}; ${startedAt.toISOString().slice(0, 10)}, ${machine.cores} cores ${machine.cpuModel}, csync2 ${machine.csync2}, node ${machine.node}; load ${loadAverage()} (shared machine)`;
    const details = churnDetails(Object.values(runs), options.settleDeadlineMs / 1000);
    console.log(`\n${header}\n${textTable(verdicts)}\n\n${details}\n`);
    const finishedAt = new Date();
    const files = writeResults('churn', {
      name: 'churn',
      startedAt: startedAt.toISOString(),
      finishedAt: finishedAt.toISOString(),
      durationS: (finishedAt.getTime() - startedAt.getTime()) / 1000,
      machine,
      settings: { ...options, systems, otherCommand },
      rows: verdicts,
      runs,
    }, `${header}\n\n${markdownTable(verdicts)}\n\n\`\`\`\n${details}\n\`\`\``);
    console.log(`results: ${files.join(', ')}`);
  } finally {
    await cleanup.run();
  }
  return runs;
}

/** One line per seed and system, then the worst of each figure over all seeds. */
function seedsSummary(results: Array<{ seed: number; runs: Partial<Record<SystemKind, ChurnRunResult>> }>): string {
  const ms = (value: number | undefined): string => (value === undefined ? '–' : `${(value / 1000).toFixed(2)} s`);
  const lines = ['seed        system   probe p50   p99        max        identical after   lost'];
  const worst = new Map<string, { p99: number; max: number; identical: number | undefined; lost: number; never: number }>();
  for (const { seed, runs } of results) {
    for (const run of Object.values(runs)) {
      if (!run) continue;
      const { p50, p99, max } = run.probes.latency;
      lines.push(`${String(seed).padEnd(11)} ${run.kind.padEnd(8)} ${ms(p50).padEnd(11)} ${ms(p99).padEnd(10)} ${ms(max).padEnd(10)} ${(run.identicalAfterMs === undefined ? 'never' : ms(run.identicalAfterMs)).padEnd(17)} ${run.lost.count}`);
      const w = worst.get(run.kind) ?? { p99: 0, max: 0, identical: undefined, lost: 0, never: 0 };
      w.p99 = Math.max(w.p99, p99);
      w.max = Math.max(w.max, max);
      if (run.identicalAfterMs === undefined) w.never++;
      else w.identical = Math.max(w.identical ?? 0, run.identicalAfterMs);
      w.lost += run.lost.count;
      worst.set(run.kind, w);
    }
  }
  for (const [kind, w] of worst) {
    const identical = w.identical === undefined ? 'never identical within the deadline' : `identical after ${ms(w.identical)}${w.never ? ` (never within the deadline in ${w.never} runs)` : ''}`;
    lines.push(`worst of ${results.length} seeds, ${kind}: probe p99 ${ms(w.p99)}, max ${ms(w.max)}, ${identical}, ${w.lost} changes lost or reverted in all`);
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { options, systems } = resolveOptions();
  const seeds = count('seeds', args.seeds, 1);
  if (seeds > 1 && args.seed !== undefined) throw new Error('--seeds N runs N fresh seeds: drop --seed, or replay one seed with --seed alone');
  const machine = machineInfo();
  const results: Array<{ seed: number; runs: Partial<Record<SystemKind, ChurnRunResult>> }> = [];
  for (let i = 0; i < seeds; i++) {
    const seed = i === 0 ? options.seed : randomInt(1, 2 ** 31);
    results.push({ seed, runs: await runSeed({ ...options, seed }, systems, machine) });
  }
  if (seeds > 1) console.log(`\n${databaseName(options)}, ${options.nodes} nodes × ${options.rate} ops/s for ${options.seconds} s:\n${seedsSummary(results)}`);
}

main().catch((error: unknown) => {
  console.error(`bench:churn failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exitCode = 2;
});

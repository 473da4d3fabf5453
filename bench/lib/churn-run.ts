import { join } from 'node:path';
import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { PrivateMariadb } from '../../src/cluster/private-mariadb.js';
import { PrivatePostgres } from '../../src/cluster/private-postgres.js';
import { ChildProcesses } from '../../src/process/child-processes.js';
import { prepareMariadbSchema } from '../../src/sync/mariadb-schema.js';
import { ChurnWriter, type WriterResult } from './churn-writer.js';
import { probeLatency, type FreezeWindow, type ProbeLatency } from './churn-latency.js';
import { ProbeRunner } from './churn-probes.js';
import { prepareNodes, useWalJournal, waitAllSyncing, type ChurnSetup } from './churn-setup.js';
import { waitIdentical } from './churn-settle.js';
import { csync2Times, type Csync2Times } from './churn-csync2-times.js';
import { makeSystem, type ChurnSystem, type SystemKind, type SystemSettings } from './churn-systems.js';
import { verifyModels, type VerifyResult } from './churn-verify.js';
import { Prng } from './prng.js';
import { loadAverage } from './proc.js';
import type { Cleanup } from './run.js';
import { SETTLE_MS } from './run.js';
import { sleep } from './stats.js';
import type { TreeSpec } from './tree.js';
import { FreezeSchedule, type FreezePlan } from './freeze-schedule.js';
import { TreeScanner } from './tree-snapshot.js';

export interface ChurnOptions {
  /** Nodes of the cluster; a writer and a sync system on each. @default 3 */
  nodes: number;
  /** Writer operations per second, per node. @default 24 */
  rate: number;
  /** Length of the churn. @default 60 */
  seconds: number;
  /** Seed of the writers' PRNGs (one stream per node). */
  seed: number;
  /** Probe deadline, ms. @default 60000 */
  probeDeadlineMs: number;
  /** Longest wait after the writers stop until the trees are identical, ms. @default 60000 */
  settleDeadlineMs: number;
  /** A generated tree on every node before the system starts (bench:big's 170,000 files); none when undefined. */
  bigTree?: TreeSpec;
  /** csync2's databases in SQLite's WAL journal mode (--wal, --db sqlite-wal). */
  wal?: boolean;
  /** csync2's databases on a PostgreSQL server started for the run (--db pgsql), one database per node. */
  postgres?: boolean;
  /** csync2's databases on a MariaDB server started for the run (--db mariadb), one database per node. */
  mariadb?: boolean;
  freeze?: FreezePlan;
  settings: SystemSettings;
}

export interface ChurnRunResult {
  system: string;
  kind: SystemKind;
  seed: number;
  nodes: number;
  /** From start() until the system synced a file from every node to every other, ms. */
  startToSyncingMs: number;
  setup: ChurnSetup;
  writers: WriterResult[];
  probes: ProbeLatency;
  /** Each probe: writer node, second of the churn it was written at, and per node its time until arrival, ms (null: writer itself or a miss). */
  probeSamples: Array<{ node: number; atS: number; ms: Array<number | null> }>;
  freeze?: FreezeWindow & { pids: number[]; frozenPids: number };
  /** After the writers stopped, until every node's tree was identical, ms; undefined: not within the deadline. */
  identicalAfterMs: number | undefined;
  differencesAtDeadline: Array<{ node: number; count: number; paths: string[] }>;
  /** In --big mode, one full comparison of every node's whole tree at the end (the polling covers the churned entries only). */
  fullTreeIdentical?: boolean;
  lost: VerifyResult;
  load: { before: number; after: number };
  /** The daemon's csync2 calls and sessions, from its --debug lines. */
  csync2Times?: Csync2Times;
  /** Per node: the last lines of its log (daemon), or the loop's exit codes. */
  extra: Record<string, unknown>;
}

/**
 * One system on a fresh cluster: writers and probes on every node for the
 * churn's length (a peer optionally frozen meanwhile), then the wait until
 * every tree is identical and the writers' models checked against each node.
 */
export async function runChurn(cleanup: Cleanup, kind: SystemKind, options: ChurnOptions, log: (line: string) => void): Promise<ChurnRunResult> {
  // A fresh server per run: every run starts from empty databases, as with SQLite.
  const pg = options.postgres ? await PrivatePostgres.start() : undefined;
  const stopPg = cleanup.add(async () => pg?.stop());
  if (pg) log(`csync2 databases on PostgreSQL at 127.0.0.1:${pg.port} (one database per node)`);
  const maria = options.mariadb ? await PrivateMariadb.start() : undefined;
  const stopMaria = cleanup.add(async () => {
    // The server's log outlives the run where logs are kept (a crash's stack trace is there).
    if (maria && process.env.CHURN_LOG_DIR) cpSync(maria.serverLog, join(process.env.CHURN_LOG_DIR, 'mariadb-server.log'));
    await maria?.stop();
  });
  if (maria) log(`csync2 databases on MariaDB at 127.0.0.1:${maria.port} (one database per node)`);
  const databaseUrl = pg?.url ?? maria?.url;
  const cluster = await LocalCluster.create({ nodes: options.nodes, ...(databaseUrl ? { databaseUrl } : {}) });
  const destroyCluster = cleanup.add(() => cluster.destroy());
  const destroy = async (): Promise<void> => {
    await destroyCluster();
    await stopPg();
    await stopMaria();
  };
  try {
    // Every system, not only the daemon, needs csync2's tables made for it on MariaDB.
    if (maria) for (const node of cluster.nodes) await prepareMariadbSchema({ children: new ChildProcesses(), database: maria.url, host: node.host, privateDir: cluster.root });
    const setup = await prepareNodes(cluster, options.bigTree, log);
    if (options.wal) await useWalJournal(cluster, log);
    const roots = cluster.nodes.map((n) => n.dir);
    const system = makeSystem(kind, cluster, options.settings);
    const stopSystem = cleanup.add(() => system.stop());
    const loadBefore = loadAverage();
    try {
      log(`${system.name}: starting on ${options.nodes} nodes in ${cluster.root}`);
      const started = performance.now();
      await system.start();
      await waitAllSyncing(roots, 120_000);
      const startToSyncingMs = performance.now() - started;
      log(`${system.name}: syncing every node to every other after ${startToSyncingMs.toFixed(0)} ms; churn for ${options.seconds} s at ${options.rate} ops/s per node, seed ${options.seed}`);
      await sleep(SETTLE_MS);

      const writers = roots.map((root, i) => new ChurnWriter({ root, subtree: `w${i}`, rate: options.rate, prng: Prng.forStream(options.seed, i) }));
      const probes = new ProbeRunner({ roots, intervalMs: 1000, pollMs: 5, deadlineMs: options.probeDeadlineMs });
      const stopProbes = cleanup.add(() => probes.abort());
      const origin = performance.now();
      const until = origin + options.seconds * 1000;
      const freezing = options.freeze ? new FreezeSchedule(cleanup, system, options.freeze, origin, log) : undefined;
      const cancelFreeze = cleanup.add(async () => freezing?.cancel());
      probes.start();
      const writerResults = await Promise.all(writers.map((w) => w.run(until)));
      await probes.stopWriting();
      const writersStopped = performance.now();
      log(`${system.name}: writers stopped (${writerResults.map((r) => r.ops).join(' / ')} ops); waiting for identical trees (deadline ${options.settleDeadlineMs / 1000} s)`);

      const only = options.bigTree ? (name: string) => !/^d\d{4}$/.test(name) : undefined;
      const scanners = roots.map((root) => new TreeScanner(root, only));
      const settle = await waitIdentical(scanners, writersStopped, options.settleDeadlineMs);
      log(`${system.name}: ${settle.identicalAfterMs === undefined ? `trees NOT identical within ${options.settleDeadlineMs / 1000} s (${settle.differences.map((d) => `node ${d.node}: ${d.count} paths differ from node 0`).join('; ')})` : `trees identical ${(settle.identicalAfterMs / 1000).toFixed(2)} s after the writers stopped`}`);
      const window = await freezing?.done;
      await cancelFreeze();
      await probes.drain();
      await stopProbes();
      const lost = verifyModels(writers.map((w, i) => ({ subtree: `w${i}`, expected: w.model.snapshot() })), settle.trees);
      let fullTreeIdentical: boolean | undefined;
      if (options.bigTree) {
        const full = await waitIdentical(roots.map((root) => new TreeScanner(root)), performance.now(), 0);
        fullTreeIdentical = full.identicalAfterMs !== undefined;
      }
      const latency = probeLatency(probes.probes, options.nodes, window);
      log(`${system.name}: probes p50 ${latency.latency.p50.toFixed(0)} ms, p99 ${latency.latency.p99.toFixed(0)} ms, max ${latency.latency.max.toFixed(0)} ms, ${latency.latency.misses} misses; ${lost.count} lost/reverted (${lost.revertedOnWriter} on the writer, ${lost.lostOnPeers} on peers)`);
      await stopSystem();
      keepClusterOnLoss(cluster.root, lost.count, writers.map((writer) => writer.journal ?? []));
      return {
        system: system.name,
        kind,
        seed: options.seed,
        nodes: options.nodes,
        startToSyncingMs,
        setup,
        writers: writerResults,
        probes: latency,
        probeSamples: probes.probes.map((p) => ({ node: p.node, atS: (p.writtenAt - origin) / 1000, ms: p.arrivals.map((at) => (at === undefined ? null : at - p.writtenAt)) })),
        ...(window ? { freeze: { ...window, frozenPids: window.pids.length } } : {}),
        identicalAfterMs: settle.identicalAfterMs,
        differencesAtDeadline: settle.differences,
        ...(fullTreeIdentical === undefined ? {} : { fullTreeIdentical }),
        lost,
        load: { before: loadBefore, after: loadAverage() },
        ...(kind === 'daemon' ? { csync2Times: csync2Times(system.logs()) } : {}),
        extra: extraOf(system),
      };
    } finally {
      await stopSystem();
    }
  } finally {
    await destroy();
  }
}

/** CHURN_LOG_DIR=DIR also keeps the whole cluster (trees, queues, csync2 databases) of a run that lost changes, to find out why. */
function keepClusterOnLoss(root: string, lost: number, journals: string[][]): void {
  const logDir = process.env.CHURN_LOG_DIR;
  if (!logDir || lost === 0) return;
  cpSync(root, join(logDir, 'cluster'), { recursive: true, verbatimSymlinks: true });
  journals.forEach((lines, node) => writeFileSync(join(logDir, `writer-node${node}.log`), `${lines.join('\n')}\n`));
}

function extraOf(system: ChurnSystem): Record<string, unknown> {
  const logs = system.logs();
  // CHURN_LOG_DIR=DIR keeps every node's whole log (with --daemon-arg=--debug, every csync2 call and session).
  const logDir = process.env.CHURN_LOG_DIR;
  if (logDir) {
    mkdirSync(logDir, { recursive: true });
    logs.forEach((lines, node) => writeFileSync(join(logDir, `${system.name.replace(/\W+/g, '-')}-node${node}.log`), `${lines.join('\n')}\n`));
  }
  const out: Record<string, unknown> = { logTails: logs.map((lines) => lines.slice(-150)) };
  if ('exitCodes' in system && typeof system.exitCodes === 'function') out.exitCodes = (system.exitCodes as () => unknown)();
  return out;
}

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { createBatchReader } from '../../src/batch/batch-reader.js';
import { SyncLoop, type SyncLoopOptions, type SyncLoopSettings } from '../../src/loop/sync-loop.js';
import { silentLogger } from '../../src/log/logger.js';
import { QueueFile } from '../../src/queue/queue-file.js';

// The sync loop under node:test's fake clock, with a real queue file and a
// stand-in engine whose csync2 work takes a set time on that clock. It shows
// when batches, full syncs, resets and retries happen, and that every queued
// path is synced by a batch or covered by a full sync that started after it.

interface Run {
  kind: 'batch' | 'full-sync';
  at: number;
  paths: string[];
}

const defaults: SyncLoopSettings = {
  checkIntervalMs: 1000,
  fullSyncIntervalMs: 0,
  numLinesUntilReset: 100_000,
  numBatchedChangesThreshold: 10_000,
  rsyncThreshold: undefined,
  gatherMs: 20,
};

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'sync-loop-'));
  mock.timers.enable({ apis: ['setTimeout', 'setImmediate', 'Date'], now: 0 });
});
afterEach(() => {
  mock.timers.reset();
  rmSync(dir, { recursive: true, force: true });
});

function harness(
  settings: Partial<SyncLoopSettings> = {},
  work: { batchMs?: number; fullSyncMs?: number; failPaths?: (paths: string[]) => string[]; fullSyncOk?: () => boolean } = {},
  onBatchChecked?: SyncLoopOptions['onBatchChecked'],
) {
  const runs: Run[] = [];
  const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
  let loop: SyncLoop | undefined;
  const queue = new QueueFile(join(dir, 'queue'), silentLogger(), {
    onAppend: () => loop?.notifyAppend(),
    onNeedFullSync: (reason) => loop?.requestFullSync(reason),
  });
  queue.open();
  const engine: SyncLoopOptions['engine'] = {
    sendsWithRsync: false,
    async syncPaths(paths: string[]) {
      runs.push({ kind: 'batch', at: Date.now(), paths });
      await wait(work.batchMs ?? 200);
      const failedPaths = work.failPaths?.(paths) ?? [];
      return { ok: failedPaths.length === 0, failedPaths };
    },
    async fullSync() {
      runs.push({ kind: 'full-sync', at: Date.now(), paths: [] });
      await wait(work.fullSyncMs ?? 500);
      return { checked: work.fullSyncOk?.() ?? true };
    },
  };
  loop = new SyncLoop({ queue, reader: createBatchReader('async'), engine, log: silentLogger(), settings: { ...defaults, ...settings }, onBatchChecked });
  const done = loop.run();
  let finished = false;
  void done.then(() => {
    finished = true;
  });
  /** Stops the loop, moving the clock on until csync2 work still running has ended. */
  const stop = async () => {
    loop.stop();
    for (let waited = 0; !finished; waited++) {
      assert.ok(waited < 60_000, "the loop did not stop within a minute of fake time");
      await advance(1);
    }
    queue.close();
  };
  return { loop, queue, runs, stop };
}

/** Moves the fake clock on in 1 ms steps, letting promises settle after each. */
async function advance(ms: number): Promise<void> {
  for (let i = 0; i < ms; i++) {
    mock.timers.tick(1);
    for (let j = 0; j < 4; j++) await Promise.resolve();
  }
}

/** Appends `rate` paths a second for `seconds`, returning when each was appended. */
async function steadyWrites(queue: QueueFile, rate: number, seconds: number, prefix = '/w/'): Promise<Map<string, number>> {
  const appendedAt = new Map<string, number>();
  const every = Math.round(1000 / rate);
  for (let i = 0; i < rate * seconds; i++) {
    const path = `${prefix}${i}`;
    queue.append(path);
    appendedAt.set(path, Date.now());
    await advance(every);
  }
  return appendedAt;
}

/** Every path was in a batch that started after it was appended, or in no batch but covered by a full sync that started after it. */
function assertNothingLost(runs: Run[], appendedAt: Map<string, number>): void {
  for (const [path, at] of appendedAt) {
    const synced = runs.some((run) => run.at >= at && (run.kind === 'full-sync' || run.paths.includes(path)));
    assert.ok(synced, `${path} (appended at ${at} ms) was neither in a later batch nor covered by a later full sync`);
  }
}

test('a single change is a batch one gathering window later', async () => {
  const { queue, runs, stop } = harness();
  await advance(50);
  queue.append('/w/one');
  await advance(19);
  assert.equal(runs.length, 0, 'not before the 20 ms window ends');
  await advance(5);
  assert.deepEqual(runs.map((run) => run.paths), [['/w/one']]);
  assert.ok(runs[0]!.at - 50 <= 22, `started ${runs[0]!.at - 50} ms after the append`);
  await stop();
});

test('a checked batch is reported with the append time of its oldest record, after its check', async () => {
  const reports: Array<{ oldestAppendAt: number; paths: number; at: number }> = [];
  const { queue, runs, stop } = harness({}, { batchMs: 200 }, (info) => reports.push({ ...info, at: Date.now() }));
  await advance(50);
  queue.append('/w/one');
  await advance(10);
  queue.append('/w/two');
  queue.append('/w/one');
  await advance(300);
  assert.equal(runs.length, 1);
  assert.equal(reports.length, 1);
  const [report] = reports;
  assert.ok(report && report.oldestAppendAt >= 50 && report.oldestAppendAt <= 51, `oldest append at ${report?.oldestAppendAt} ms`);
  assert.equal(report.paths, 2, 'distinct paths');
  assert.ok(report.at >= runs[0]!.at + 200, 'reported once the check is done');
  await stop();
});

test('under steady load, batches start check_interval apart and carry every path', async () => {
  const { queue, runs, stop } = harness({ checkIntervalMs: 1000 });
  const appendedAt = await steadyWrites(queue, 40, 6);
  await advance(2500);
  const batches = runs.filter((run) => run.kind === 'batch');
  for (let i = 1; i < batches.length; i++) {
    assert.ok(batches[i]!.at - batches[i - 1]!.at >= 1000, `batches ${i - 1} and ${i} started ${batches[i]!.at - batches[i - 1]!.at} ms apart`);
  }
  assert.ok(batches.length >= 5 && batches.length <= 8, `${batches.length} batches for 6 s of load`);
  assertNothingLost(runs, appendedAt);
  await stop();
});

test('the periodic full sync and the queue reset run on time while writes never stop', async () => {
  const { loop, queue, runs, stop } = harness({ checkIntervalMs: 200, fullSyncIntervalMs: 3000, numLinesUntilReset: 150 });
  const appendedAt = await steadyWrites(queue, 50, 12);
  await advance(3000);
  const fullSyncs = runs.filter((run) => run.kind === 'full-sync').map((run) => run.at);
  assert.ok(loop.stats.resets >= 3, `${loop.stats.resets} resets for 600 records at 150 records per reset`);
  assert.ok(fullSyncs.length >= 4, `full syncs at ${fullSyncs.join(', ')} ms`);
  const gaps = fullSyncs.slice(1).map((at, i) => at - fullSyncs[i]!);
  assert.ok(Math.max(...gaps) <= 3000 + 600, `longest gap between full syncs ${Math.max(...gaps)} ms (interval 3000 ms)`);
  assertNothingLost(runs, appendedAt);
  await stop();
});

test('paths whose check failed are retried on their own after the backoff', async () => {
  let failing = true;
  const { queue, runs, stop } = harness({}, { failPaths: (paths) => (failing ? paths.filter((path) => path === '/w/bad') : []) });
  queue.append('/w/bad');
  queue.append('/w/good');
  await advance(300);
  assert.equal(runs.length, 1);
  failing = false;
  await advance(1000);
  const retried = runs.find((run, i) => i > 0 && run.paths.includes('/w/bad'));
  assert.ok(retried, 'the failed path came back without any new record');
  assert.deepEqual(retried.paths, ['/w/bad'], 'only the failed path is retried');
  await advance(30_000);
  assert.equal(runs.length, 2, 'a success ends the retries');
  await stop();
});

test('a failed full sync is retried within 5 s; batches still run meanwhile', async () => {
  let ok = false;
  const { loop, queue, runs, stop } = harness({}, { fullSyncOk: () => ok });
  loop.requestFullSync('start-up');
  await advance(600);
  assert.equal(loop.fullSyncPending, 'retry: start-up');
  queue.append('/w/between');
  await advance(300);
  assert.ok(runs.some((run) => run.paths.includes('/w/between')), 'a batch ran while the full sync waited for its retry');
  ok = true;
  await advance(5000);
  const fullSyncs = runs.filter((run) => run.kind === 'full-sync');
  assert.equal(fullSyncs.length, 2, 'retried once, and it succeeded');
  assert.equal(loop.fullSyncPending, undefined);
  await stop();
});

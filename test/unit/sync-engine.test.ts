import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { silentLogger } from '../../src/log/logger.js';
import type { Csync2Run } from '../../src/sync/csync2-client.js';
import type { Csync2Outcome } from '../../src/sync/csync2-outcome.js';
import type { RsyncDelivery } from '../../src/sync/rsync-sender.js';
import { SyncEngine, type EngineCsync2, type SyncEngineOptions } from '../../src/sync/sync-engine.js';

// SyncEngine's scheduling under node:test's fake clock: which csync2 calls a
// batch, a full sync and a large batch make, and when each peer's update runs
// or is retried. csync2 itself is a stand-in that answers at once and records
// its calls: a real csync2 cannot be told to fail one peer with one error.

interface Call {
  args: string;
  at: number;
}

const run = (outcome: Csync2Outcome, stderr = ''): Csync2Run => ({ outcome, stdout: '', stderr, durationMs: 1 });
const OK = run({ kind: 'ok' });
const DOWN = run({ kind: 'peer-unreachable', detail: "Connection to remote host `b' failed." }, "ERROR: Connection to remote host `b' failed.\n");

function standIn(answers: { update?: (peer: string | undefined) => Csync2Run; marked?: number; checkOk?: boolean; gated?: boolean } = {}) {
  const calls: Call[] = [];
  const record = (args: string): void => void calls.push({ args, at: Date.now() });
  const client: EngineCsync2 = {
    gated: answers.gated ?? true,
    dirtyReportingConfirmed: true,
    async check(paths) {
      record(`-cr ${paths.join(' ')}`);
      const ok = answers.checkOk ?? true;
      return { outcome: ok ? { kind: 'ok' } : { kind: 'failed', detail: 'locked' }, failedPaths: ok ? [] : [...paths], marked: answers.marked ?? 1 };
    },
    async checkAll() {
      record('-cr /');
      return OK;
    },
    async update(peer) {
      record(peer === undefined ? '-u' : `-u -P ${peer}`);
      return answers.update?.(peer) ?? OK;
    },
    async syncAll() {
      record('-x');
      return OK;
    },
  };
  return { client, calls, updates: (peer: string) => calls.filter((call) => call.args === `-u -P ${peer}`) };
}

function engine(client: EngineCsync2, options: Partial<SyncEngineOptions> = {}): SyncEngine {
  return new SyncEngine({
    client,
    peers: [{ name: 'b', readOnly: false }, { name: 'c', readOnly: false }],
    pushes: true,
    parallelUpdates: true,
    maxWaitMs: 2000,
    log: silentLogger(),
    ...options,
  });
}

/** Lets the engine's promise chains run (no time passes). */
const flush = async (): Promise<void> => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }));
afterEach(() => mock.timers.reset());

test('a batch is checked once, then each peer gets its own update', async () => {
  const { client, calls } = standIn();
  const sync = engine(client);
  const result = await sync.syncPaths(['/w/a', '/w/d', '/w/d/x']);
  await sync.settled();
  assert.deepEqual(result, { ok: true, failedPaths: [] });
  assert.deepEqual(calls.map((call) => call.args), ['-cr /w/a /w/d', '-u -P b', '-u -P c'], 'a path under a checked directory is not checked twice');
  assert.ok(sync.peers.every((peer) => !peer.pending && peer.failures === 0));
});

test('an echo (a check that marks nothing) sends no update, unless a peer still has changes pending', async () => {
  const { client, calls } = standIn({ marked: 0 });
  const sync = engine(client);
  await sync.syncPaths(['/w/echo']);
  await sync.settled();
  assert.deepEqual(calls.map((call) => call.args), ['-cr /w/echo']);
  assert.equal(sync.lastCheck.sendsUpdates, false);

  const peerB = sync.peers[0];
  assert.ok(peerB);
  peerB.pending = true;
  await sync.syncPaths(['/w/echo']);
  await sync.settled();
  assert.deepEqual(calls.slice(1).map((call) => call.args), ['-cr /w/echo', '-u -P b', '-u -P c']);
});

test('a peer that cannot be reached is retried with growing backoff while the other peer gets every batch', async () => {
  let bDown = true;
  const { client, updates } = standIn({ update: (peer) => (peer === 'b' && bDown ? DOWN : OK) });
  const sync = engine(client);
  const start = Date.now();
  await sync.syncPaths(['/w/1']);
  await flush();
  assert.equal(updates('b').length, 1);
  assert.equal(sync.peers[0]?.failures, 1);

  // Batches every 200 ms for 4 s: c is updated for each; b only when its backoff (1 s, then 2 s) ends.
  for (let i = 0; i < 20; i++) {
    mock.timers.tick(200);
    await sync.syncPaths([`/w/n${i}`]);
    await flush();
  }
  assert.equal(updates('c').length, 21);
  const bTimes = updates('b').map((call) => call.at - start);
  assert.deepEqual(bTimes, [0, 1000, 3000], 'b was tried after 1 s, then 2 s more, not with every batch');

  bDown = false;
  mock.timers.tick(4000);
  await flush();
  assert.equal(updates('b').length, 4, 'b is retried when its backoff ends, with no new batch');
  assert.equal(sync.peers[0]?.failures, 0);
  assert.equal(sync.peers[0]?.pending, false);
});

test('a failed check is reported for a retry, and no rsync runs on it', async () => {
  const { client, calls } = standIn({ checkOk: false });
  const delivered: string[][] = [];
  const sync = engine(client, { rsync: { deliver: async (paths) => (delivered.push([...paths]), { delivered: true, dirtyPeers: [] }) } });
  const result = await sync.syncPaths(['/w/a', '/w/b'], { largeBatch: true });
  assert.deepEqual(result, { ok: false, failedPaths: ['/w/a', '/w/b'] });
  assert.deepEqual(delivered, []);
  assert.equal(calls[0]?.args, '-cr /w/a /w/b');
});

test('a large batch: one check, then rsync to the reachable peers, then the updates of the peers csync2 lists dirty', async () => {
  const order: string[] = [];
  const { client, calls } = standIn({ marked: 0, update: (peer) => (order.push(`-u ${peer}`), peer === 'c' ? DOWN : OK) });
  const deliveries: Array<{ paths: string[]; skip: string[] }> = [];
  const rsync = {
    deliver: async (paths: readonly string[], skip: ReadonlySet<string> = new Set()): Promise<RsyncDelivery> => {
      order.push('rsync');
      deliveries.push({ paths: [...paths], skip: [...skip] });
      return { delivered: true, dirtyPeers: ['b'] };
    },
  };
  const sync = engine(client, { rsync });
  assert.equal(sync.sendsWithRsync, true);
  await sync.syncPaths(['/w/d/x', '/w/d'], { largeBatch: true });
  await sync.settled();
  assert.deepEqual(calls.filter((call) => call.args.startsWith('-cr')).map((call) => call.args), ['-cr /w/d'], 'csync2 checks the batch once');
  assert.deepEqual(deliveries, [{ paths: ['/w/d/x', '/w/d'], skip: [] }], 'rsync gets the queued paths, not only their checked ancestors');
  assert.deepEqual(order.slice(0, 1), ['rsync'], 'rsync runs before the updates');
  assert.ok(order.includes('-u b'), 'the check marked nothing new, yet b (dirty per csync2 -M) is updated');
  assert.equal(sync.peers[1]?.failures, 1, 'c could not be reached');

  // c is down now: the next large batch does not rsync to it.
  await sync.syncPaths(['/w/e'], { largeBatch: true });
  assert.deepEqual(deliveries[1]?.skip, ['c']);
});

test('without parallel updates and without the gated server, a full sync is one csync2 -x after running updates end', async () => {
  const { client, calls } = standIn({ gated: false });
  const sync = engine(client, { parallelUpdates: false });
  await sync.syncPaths(['/w/a']);
  const full = await sync.fullSync();
  assert.deepEqual(full, { checked: true });
  assert.deepEqual(calls.map((call) => call.args), ['-cr /w/a', '-u', '-x']);
  assert.ok(sync.peers.every((peer) => peer.failures === 0));
});

test('with the gated server, a full sync is csync2 -cr / and then each peer\'s update', async () => {
  const { client, calls } = standIn();
  const sync = engine(client);
  assert.deepEqual(await sync.fullSync(), { checked: true });
  await sync.settled();
  assert.deepEqual(calls.map((call) => call.args), ['-cr /', '-u -P b', '-u -P c']);
});

test('one csync2 -u for all peers: only the peers its errors name are backed off, and the retry waits for their backoff', async () => {
  const { client, calls } = standIn({ update: () => DOWN });
  const sync = engine(client, { parallelUpdates: false });
  await sync.syncPaths(['/w/a']);
  await flush();
  assert.equal(sync.peers[0]?.failures, 1, 'b is named in the error');
  assert.equal(sync.peers[1]?.failures, 0, 'c got its changes');
  assert.equal(calls.filter((call) => call.args === '-u').length, 1, 'not retried at once because c needs nothing');
  mock.timers.tick(1000);
  await flush();
  assert.equal(calls.filter((call) => call.args === '-u').length, 2, 'retried when b\'s backoff ends');
});

test('a conflict is retried after 0.5 s at first, every 5 s once it lasted 10 s', async () => {
  const conflict = run({ kind: 'conflict', detail: 'File is also marked dirty here' });
  let conflicted = true;
  const { client, updates } = standIn({ update: (peer) => (peer === 'b' && conflicted ? conflict : OK) });
  const sync = engine(client);
  await sync.syncPaths(['/w/a']);
  await flush();
  for (let i = 0; i < 170; i++) {
    mock.timers.tick(100);
    await flush();
  }
  const gaps = updates('b').map((call, i, all) => call.at - (all[i - 1]?.at ?? call.at)).slice(1);
  assert.ok(gaps.slice(0, 5).every((gap) => gap === 500), `retried every 0.5 s at first: ${gaps.join(',')}`);
  assert.equal(gaps.at(-1), 5000, `every 5 s after 10 s: ${gaps.join(',')}`);
  assert.equal(sync.peers[0]?.failures, 0, 'a conflict is no outage');
  conflicted = false;
  mock.timers.tick(5000);
  await flush();
  assert.equal(sync.peers[0]?.pending, false);
});

test('an update that lost csync2\'s lock race is run again at once, three times at most', async () => {
  const locked = run({ kind: 'locked', detail: 'database is locked' });
  const { client, updates } = standIn({ update: (peer) => (peer === 'b' ? locked : OK) });
  const sync = engine(client);
  await sync.syncPaths(['/w/a']);
  await flush();
  assert.equal(updates('b').length, 4);
  assert.equal(updates('c').length, 1);
});

test('a dirty file csync2 could not find is handed back to be checked again', async () => {
  const stale = run({ kind: 'failed', detail: 'Cant stat' }, 'ERROR: Cant stat %data%/gone/x.\n');
  const { client } = standIn({ update: () => stale });
  const names: string[] = [];
  const sync = engine(client, { peers: [{ name: 'b', readOnly: false }], onStalePath: (name) => names.push(name) });
  await sync.syncPaths(['/w/a']);
  await flush();
  assert.deepEqual(names, ['%data%/gone/x']);
});

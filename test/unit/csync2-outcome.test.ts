import assert from 'node:assert/strict';
import { test } from 'node:test';
import { classifyCsync2Exit, saysPeerUnreachable, unreachableLine, unreachablePeers } from '../../src/sync/csync2-outcome.js';
import { backoffDelay, DEFAULT_BACKOFF, newPeerHealth, recordFailure, recordSuccess } from '../../src/sync/peer-health.js';

test('csync2 exit codes are looked up with their error text', () => {
  assert.equal(classifyCsync2Exit({ exitCode: 1, stderr: 'ERROR: Cant stat %data%/gone.txt.\nFinished with 1 errors.\n', timedOut: false }).kind, 'vanished');
  assert.deepEqual(classifyCsync2Exit({ exitCode: 0, stderr: '', timedOut: false }), { kind: 'ok' });
  assert.deepEqual(classifyCsync2Exit({ exitCode: 2, stderr: '', timedOut: false }, true), { kind: 'empty' });
  assert.deepEqual(
    classifyCsync2Exit({ exitCode: 1, stderr: "ERROR: Connection to remote host `127.0.0.3' failed.\nFinished with 1 errors.\n", timedOut: false }),
    { kind: 'peer-unreachable', detail: "ERROR: Connection to remote host `127.0.0.3' failed." },
  );
  assert.equal(classifyCsync2Exit({ exitCode: 1, stderr: 'Found /etc/csync2.lock\n', timedOut: false }).kind, 'locked');
  assert.equal(classifyCsync2Exit({ exitCode: undefined, stderr: '', timedOut: true }).kind, 'timeout');
  assert.deepEqual(
    classifyCsync2Exit({ exitCode: 1, stderr: "ERROR from peer 127.0.0.3: File is also marked dirty here!\nDo not auto-resolve conflict: Lost 'younger/older' test.\nFinished with 1 errors.\n", timedOut: false }),
    { kind: 'conflict', detail: "Do not auto-resolve conflict: Lost 'younger/older' test." },
    'a conflict is the peer answering, not an outage',
  );
  assert.deepEqual(classifyCsync2Exit({ exitCode: 1, stderr: "csync2: invalid option -- 'b'\n", timedOut: false }), { kind: 'failed', detail: "csync2: invalid option -- 'b'" });
});

test('peer backoff doubles up to its cap and logs only state changes and reminders', () => {
  assert.deepEqual([1, 2, 3, 4, 10].map((n) => backoffDelay(n, DEFAULT_BACKOFF)), [1000, 2000, 4000, 8000, 60_000]);
  const peer = newPeerHealth('p', false);
  assert.ok(recordFailure(peer, 'down', 0, DEFAULT_BACKOFF));
  assert.equal(recordFailure(peer, 'down', 1000, DEFAULT_BACKOFF), undefined);
  assert.equal(recordFailure(peer, 'down', 2000, DEFAULT_BACKOFF), undefined);
  assert.match(recordFailure(peer, 'down', 400_000, DEFAULT_BACKOFF)?.message ?? '', /still failing since/);
  assert.match(recordSuccess(peer, 410_000)?.message ?? '', /reachable again after 410 s/);
  assert.equal(recordSuccess(peer, 411_000), undefined);
});

test('csync2 capabilities are read from its usage text', async () => {
  const { parseCapabilities } = await import('../../src/sync/csync2-capabilities.js');
  const stock = "csync2: invalid option -- '-'\n\ncsync2 2.1-0rc1 - cluster synchronization tool, 2nd generation\nCopyright (C) 2004 - 2013  LINBIT Information Technologies GmbH\n\nVersion: 2.0\n\n\t-u [-d] [-r] file..\tUpdates files if listed in dirty db\n";
  assert.deepEqual(parseCapabilities(stock), { supportsBatchFlag: false, reportsDirtyMarks: true });
  assert.deepEqual(parseCapabilities('csync2 fork\n\t-b\tbatch updates\n'), { supportsBatchFlag: true, reportsDirtyMarks: false });
});

test('csync2 errors about vanished dirty files name the file to check again', async () => {
  const { SyncEngine } = await import('../../src/sync/sync-engine.js');
  const { silentLogger } = await import('../../src/log/logger.js');
  const stale: string[] = [];
  const failing = {
    outcome: { kind: 'vanished' as const, detail: 'x' },
    stdout: '',
    stderr: "ERROR: Cant stat %data%/a dir/file.txt.\nI/O Error 'No such file or directory' while opening data file for reading in rsync-delta: %data%/burst/b206\nFinished with 2 errors.\n",
    durationMs: 1,
  };
  const client = { update: async () => failing, check: async () => ({ outcome: { kind: 'ok' as const }, failedPaths: [], marked: 1 }) };
  const engine = new SyncEngine({
    client: client as never,
    peers: [{ name: 'p', readOnly: false }],
    pushes: true,
    parallelUpdates: true,
    maxWaitMs: 10,
    log: silentLogger(),
    onStalePath: (name) => stale.push(name),
  });
  engine.requestUpdates();
  await engine.settled();
  engine.stop();
  assert.deepEqual(stale, ['%data%/a dir/file.txt', '%data%/burst/b206']);
  assert.ok((engine.peers[0]?.retryAt ?? 0) - Date.now() <= 500, 'a local failure is retried soon');
  assert.equal(engine.peers[0]?.failures, 0, 'files that vanished under csync2 are not a peer failure');
});

test('one definition of an unreachable peer: the line recorded for a named peer is what the checks look for', () => {
  const stderr = "ERROR: Connection to remote host `127.0.0.4' failed.\nHost stays in dirty state. Try again later...\nERROR: Connection to remote host 'peer-b' failed.\nFinished with 2 errors.\n";
  assert.deepEqual([...unreachablePeers(stderr)], ['127.0.0.4', 'peer-b']);
  assert.equal(unreachableLine('127.0.0.4'), "ERROR: Connection to remote host `127.0.0.4' failed.");
  assert.ok(saysPeerUnreachable(unreachableLine('127.0.0.4')));
  assert.deepEqual([...unreachablePeers(unreachableLine('127.0.0.4'))], ['127.0.0.4']);
  // Detection also knows csync2's other words for it; only the "remote host" line names the peer.
  assert.ok(saysPeerUnreachable("ERROR: Can't connect to peer"));
  assert.ok(saysPeerUnreachable('connect(): Connection refused'));
  assert.deepEqual([...unreachablePeers('connect(): Connection refused')], []);
  assert.ok(!saysPeerUnreachable('ERROR: Cant stat %data%/x.'));
});

import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { FULL_SYNC_REMINDER_MS, FullSyncSchedule } from '../../src/loop/full-sync-schedule.js';
import { silentLogger } from '../../src/log/logger.js';
import { ChildProcesses } from '../../src/process/child-processes.js';
import { Csync2Client } from '../../src/sync/csync2-client.js';
import { newPeerHealth, PEER_ERROR_BACKOFF, recordFailure, recordSuccess } from '../../src/sync/peer-health.js';
import { UpdateResults } from '../../src/sync/update-results.js';
import { withFakeBinary } from '../helpers/fake-bin.js';
import { recordingLogger } from '../helpers/recording-logger.js';

// Repeated identical failures back off further and are logged once, then as a
// reminder. The schedule and the peer's health take the time as an argument.

/** Fails the full sync `times` times with `errorOf(i)`; the delays before each retry. */
function failFullSync(schedule: FullSyncSchedule, times: number, errorOf: (i: number) => string, start = 0) {
  let now = start;
  const delays: number[] = [];
  const logged: Array<string | undefined> = [];
  schedule.request('start-up', now);
  for (let i = 0; i < times; i++) {
    const reason = schedule.due(now);
    assert.ok(reason, `due at ${now}`);
    schedule.started();
    const report = schedule.finished(reason, false, now, errorOf(i));
    assert.equal(report.kind, 'failed');
    if (report.kind !== 'failed') break;
    logged.push(report.log);
    const next = schedule.nextAt() as number;
    assert.equal(next - now, report.retryInMs);
    delays.push(next - now);
    now = next;
  }
  return { delays, logged, now };
}

test('a whole-tree check failing the same way backs off from 5 s, doubling, to 5 min', () => {
  const schedule = new FullSyncSchedule(0, 0);
  const { delays, logged, now } = failFullSync(schedule, 11, () => 'csync2 -cr /: timeout: timed out after 3600 s (--full-sync-timeout) and was ended');
  assert.deepEqual(delays, [1000, 5000, 10_000, 20_000, 40_000, 80_000, 160_000, 300_000, 300_000, 300_000, 300_000]);
  // Logged once, then a reminder once at least 5 min passed since the last line (at 316 s), not on every retry;
  // retries 5 min apart are each such a reminder: never more than one line per 5 min.
  assert.deepEqual(logged, ['first', undefined, undefined, undefined, undefined, undefined, undefined, 'reminder', 'reminder', 'reminder', 'reminder']);
  assert.equal(schedule.pending, 'retry: start-up');
  schedule.started();
  const report = schedule.finished('retry: start-up', true, now);
  assert.deepEqual(report, { kind: 'recovered', failures: 11, since: 0 });
  assert.equal(schedule.pending, undefined);
  assert.deepEqual(schedule.finished('periodic', true, now + 1), { kind: 'ok' });
});

test('failures that differ each time (files changing under csync2) are retried within 5 s, each one logged', () => {
  const schedule = new FullSyncSchedule(0, 0);
  const { delays, logged } = failFullSync(schedule, 6, (i) => `csync2 -cr /: vanished: ERROR: Cant stat %data%/f${i}.`);
  assert.deepEqual(delays, [1000, 2000, 4000, 5000, 5000, 5000]);
  assert.deepEqual(logged, ['first', 'changed', 'changed', 'changed', 'changed', 'changed']);
});

test('after a recovery the backoff and the log start over', () => {
  const schedule = new FullSyncSchedule(0, 0);
  const { now } = failFullSync(schedule, 5, () => 'same');
  schedule.started();
  schedule.finished('retry: start-up', true, now);
  const again = failFullSync(schedule, 2, () => 'same', now + 10);
  assert.deepEqual(again.delays, [1000, 5000]);
  assert.deepEqual(again.logged, ['first', undefined]);
  assert.ok(FULL_SYNC_REMINDER_MS === 300_000);
});

test('a peer error repeating (authentication, SSL) backs off up to 60 s and is logged once, then every 5 min', () => {
  const peer = newPeerHealth('beta', false);
  let now = 0;
  const delays: number[] = [];
  const lines: string[] = [];
  for (let i = 0; i < 12; i++) {
    const line = recordFailure(peer, 'ERROR: Identification failed!', now, PEER_ERROR_BACKOFF);
    if (line) lines.push(`${Math.round(now / 1000)} s: ${line.message}`);
    delays.push(peer.retryAt - now);
    now = peer.retryAt;
  }
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16_000, 32_000, 60_000, 60_000, 60_000, 60_000, 60_000]);
  assert.equal(lines.length, 2, lines.join('\n'));
  assert.match(lines[0] ?? '', /^0 s: update of peer beta failed: ERROR: Identification failed!/);
  assert.match(lines[1] ?? '', /still failing since .* \(12 attempts\)/);
  assert.equal(recordSuccess(peer, now)?.level, 'info');
  recordFailure(peer, 'ERROR: Identification failed!', now, PEER_ERROR_BACKOFF);
  assert.equal(peer.retryAt - now, 500, 'a new run of failures starts over');
});

test('peer errors that keep changing stay within 5 s', () => {
  const peer = newPeerHealth('beta', false);
  let now = 0;
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    recordFailure(peer, i % 2 ? 'SSL: handshake failed' : 'ERROR: Identification failed!', now, PEER_ERROR_BACKOFF);
    delays.push(peer.retryAt - now);
    now = peer.retryAt;
  }
  assert.ok(delays.every((delay) => delay <= 5000), delays.join(', '));
});

test("an update's outcome picks the backoff: the peer's error backs off to 60 s, a lock stays within 5 s", (t) => {
  t.mock.timers.enable({ apis: ['Date'], now: 1_000_000 });
  const run = (kind: 'failed' | 'locked', detail: string) => ({ outcome: { kind, detail }, stdout: '', stderr: detail, durationMs: 5 });
  const { log, warnings } = recordingLogger();
  const [authFailing, locked] = [newPeerHealth('beta', false), newPeerHealth('gamma', false)];
  const results = new UpdateResults({ peers: [authFailing, locked], log });
  let longest = { auth: 0, lock: 0 };
  for (let i = 0; i < 12; i++) {
    const now = Date.now();
    results.applyPeer(authFailing, run('failed', 'ERROR: Identification failed!'));
    results.applyPeer(locked, run('locked', 'Found /etc/csync2/csync2.lock'));
    longest = { auth: Math.max(longest.auth, authFailing.retryAt - now), lock: Math.max(longest.lock, locked.retryAt - now) };
    t.mock.timers.tick(Math.max(authFailing.retryAt, locked.retryAt) - now);
  }
  assert.equal(longest.auth, 60_000);
  assert.equal(longest.lock, 5000);
  assert.equal(warnings().filter((line) => /Identification failed/.test(line)).length, 2, `the first failure and one reminder:\n${warnings().join('\n')}`);
  mock.timers.reset();
});

test('a whole-tree check has its own timeout: longer than --csync2-timeout, and its message names --full-sync-timeout', async () => {
  await withFakeBinary('csync2-slow', 'csync2', async () => {
    const client = (fullSyncTimeoutMs: number) => new Csync2Client({
      children: new ChildProcesses(),
      log: silentLogger(),
      passThrough: [],
      env: { ...process.env, FAKE_CSYNC2_SECONDS: '1' },
      timeoutMs: 300,
      fullSyncTimeoutMs,
      argumentBudget: 100_000,
      capabilities: { supportsBatchFlag: false, reportsDirtyMarks: false },
    });
    const patient = client(10_000);
    assert.deepEqual((await patient.checkAll()).outcome, { kind: 'ok' }, 'a 1 s csync2 -cr / is not ended at --csync2-timeout (0.3 s)');
    assert.equal((await patient.check(['/srv/x'])).outcome.kind, 'timeout', 'a one-path check still is');
    assert.deepEqual((await client(300).checkAll()).outcome, { kind: 'timeout', detail: 'timed out after 0.3 s (--full-sync-timeout) and was ended' });
  });
});

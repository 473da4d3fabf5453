import assert from 'node:assert/strict';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { silentLogger } from '../../src/log/logger.js';
import type { Csync2Run } from '../../src/sync/csync2-client.js';
import { PeerUpdater } from '../../src/sync/peer-updater.js';

// One peer's update pipeline under node:test's fake clock: when an update
// runs, how requests made meanwhile are gathered, and when a failed one is
// retried. The update itself is a promise the test resolves.

const ok: Csync2Run = { outcome: { kind: 'ok' }, stdout: '', stderr: '', durationMs: 1 };
const down: Csync2Run = { outcome: { kind: 'peer-unreachable', detail: 'down' }, stdout: '', stderr: '', durationMs: 1 };

function pipeline() {
  const runs: Array<(run: Csync2Run) => void> = [];
  let retryAt = 0;
  const updater = new PeerUpdater({
    peer: undefined,
    log: silentLogger(),
    update: () => new Promise<Csync2Run>((resolve) => runs.push(resolve)),
    apply: (run) => {
      if (run.outcome.kind === 'ok') return true;
      retryAt = Date.now() + 4000;
      return false;
    },
    retryAt: () => retryAt,
  });
  return { updater, runs };
}

beforeEach(() => mock.timers.enable({ apis: ['setTimeout', 'Date'] }));
afterEach(() => mock.timers.reset());

const flush = async (): Promise<void> => {
  for (let i = 0; i < 5; i++) await Promise.resolve();
};

test('requests made while an update runs are gathered into one next update', async () => {
  const { updater, runs } = pipeline();
  updater.request();
  assert.equal(runs.length, 1, 'the first request starts an update at once');
  updater.request();
  updater.request();
  updater.request();
  assert.equal(runs.length, 1, 'one update at a time');
  runs[0]?.(ok);
  await flush();
  assert.equal(runs.length, 2, 'the three requests made meanwhile are one more update');
  runs[1]?.(ok);
  await flush();
  assert.equal(runs.length, 2, 'nothing more was asked for');
  updater.stop();
});

test('a failed update is tried again when its backoff ends, not before', async () => {
  const { updater, runs } = pipeline();
  updater.request();
  runs[0]?.(down);
  await flush();
  assert.equal(runs.length, 1, 'no retry before the backoff ends');
  updater.request();
  assert.equal(runs.length, 1, 'a new request does not jump the backoff');
  mock.timers.tick(3999);
  await flush();
  assert.equal(runs.length, 1);
  mock.timers.tick(1);
  await flush();
  assert.equal(runs.length, 2, 'retried 4 s later, with what came meanwhile');
  runs[1]?.(ok);
  await flush();
  await updater.settled();
  updater.stop();
});

test('stop() cancels a retry that waits for its backoff', async () => {
  const { updater, runs } = pipeline();
  updater.request();
  runs[0]?.(down);
  await flush();
  updater.stop();
  mock.timers.tick(10_000);
  await flush();
  assert.equal(runs.length, 1);
});

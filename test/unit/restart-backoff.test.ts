import assert from 'node:assert/strict';
import { test } from 'node:test';
import { RestartBackoff } from '../../src/watch/restart-backoff.js';

const policy = { initialMs: 500, maxMs: 30_000, reminderMs: 300_000 };

test('a child that starts and dies at once backs off to the cap instead of restarting every half second', () => {
  const backoff = new RestartBackoff(policy, 30_000);
  let now = 0;
  const delays: number[] = [];
  for (let i = 0; i < 8; i++) {
    backoff.started(now);
    now += 50;
    const delay = backoff.exited(now);
    delays.push(delay);
    now += delay;
  }
  assert.deepEqual(delays, [500, 1000, 2000, 4000, 8000, 16_000, 30_000, 30_000]);
});

test('a child that ran steadily for 30 s restarts after the shortest delay again', () => {
  const backoff = new RestartBackoff(policy, 30_000);
  backoff.started(0);
  assert.equal(backoff.exited(10), 500);
  backoff.started(600);
  assert.equal(backoff.exited(700), 1000);
  backoff.started(2000);
  assert.equal(backoff.exited(2000 + 29_999), 2000, 'not yet steady');
  backoff.started(40_000);
  assert.equal(backoff.exited(70_000), 500, 'ran 30 s: the count starts over');
});

test('a start that fails counts as a death without a run', () => {
  const backoff = new RestartBackoff(policy, 30_000);
  assert.equal(backoff.exited(0), 500);
  assert.equal(backoff.exited(600), 1000);
});

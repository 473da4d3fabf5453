import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FullSyncSchedule } from '../../src/loop/full-sync-schedule.js';

// When a full sync is due. The schedule takes the time as an argument.

test('a request is due at once; the periodic one after full_sync_interval', () => {
  const schedule = new FullSyncSchedule(60_000, 0);
  assert.equal(schedule.due(59_999), undefined);
  assert.equal(schedule.nextAt(), 60_000);
  assert.equal(schedule.due(60_000), 'periodic');
  schedule.started();
  schedule.finished('periodic', true, 61_000);
  assert.equal(schedule.nextAt(), 121_000, 'the interval counts from the end of the last one');
  schedule.request('inotify queue overflow', 70_000);
  assert.equal(schedule.due(70_000), 'inotify queue overflow');
});

test('no interval: nothing periodic', () => {
  const schedule = new FullSyncSchedule(0, 0);
  assert.equal(schedule.nextAt(), undefined);
  assert.equal(schedule.due(1e9), undefined);
});

test('settling requests: one full sync per burst, at most 10 s after the first', () => {
  const schedule = new FullSyncSchedule(0, 0);
  schedule.request('overflow', 0, 500);
  assert.equal(schedule.due(499), undefined);
  schedule.request('overflow', 400, 500);
  assert.equal(schedule.due(899), undefined, 'a new request moves it on');
  assert.equal(schedule.due(900), 'overflow');
  for (let now = 900; now < 20_000; now += 100) schedule.request('overflow', now, 500);
  assert.equal(schedule.nextAt(), 10_000, 'never later than 10 s after the first request');
});

test('a full sync failing differently each time is retried with backoff capped at 5 s, and says it is a retry', () => {
  const schedule = new FullSyncSchedule(0, 0);
  schedule.request('start-up', 0);
  let now = 0;
  const delays: number[] = [];
  for (let i = 0; i < 6; i++) {
    const reason = schedule.due(now);
    assert.ok(reason);
    schedule.started();
    schedule.finished(reason, false, now, `ERROR: Cant stat %data%/f${i}.`);
    const next = schedule.nextAt();
    assert.ok(next !== undefined);
    delays.push(next - now);
    now = next;
  }
  assert.equal(schedule.pending, 'retry: start-up');
  assert.ok(delays.every((delay) => delay > 0 && delay <= 5000), `retry delays ${delays.join(', ')}`);
  assert.ok(delays[5]! >= delays[0]!, 'the delay does not shrink with more failures');
  schedule.started();
  schedule.finished('retry: start-up', true, now);
  assert.equal(schedule.pending, undefined);
});

test('requestAfter: a full sync not before the given delay', () => {
  const schedule = new FullSyncSchedule(0, 0);
  schedule.requestAfter('a sync cycle failed', 100, 1000);
  assert.equal(schedule.due(1099), undefined);
  assert.equal(schedule.due(1100), 'a sync cycle failed');
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { OverflowGuess, readMaxQueuedEvents } from '../../src/watch/overflow-guess.js';

// The kernel queue of these tests holds 16 events (fs.inotify.max_queued_events=16): 15 events
// and the overflow entry. Times are a fake clock in milliseconds.

/** Feeds events at the given times; returns the times at which an overflow was guessed. */
function feed(guess: OverflowGuess, times: number[]): number[] {
  return times.filter((time) => guess.note(time));
}

const evenly = (from: number, to: number, count: number): number[] =>
  Array.from({ length: count }, (_, i) => Math.round(from + ((to - from) * i) / (count - 1)));

test('a full queue of events within 190 ms that straddles a second boundary is one burst', () => {
  const guess = new OverflowGuess({ queueLimit: 16 });
  // A lone event first: a fixed one-second bucket would start here and end in the middle of the burst.
  const times = [10_000, ...evenly(10_900, 11_090, 15)];
  assert.deepEqual(feed(guess, times), [11_090], 'the 15th event of the burst completes a full queue');
});

test('the same number of events spread over two seconds is no overflow', () => {
  const guess = new OverflowGuess({ queueLimit: 16 });
  assert.deepEqual(feed(guess, evenly(10_000, 12_000, 20)), [], 'never more than 10 events within a second');
});

test('a burst that takes exactly one second counts; one that takes longer does not', () => {
  assert.deepEqual(feed(new OverflowGuess({ queueLimit: 16 }), evenly(20_030, 21_030, 15)), [21_030]);
  assert.deepEqual(feed(new OverflowGuess({ queueLimit: 16 }), evenly(20_030, 21_200, 15)), []);
});

test('a raised queue size needs a larger burst', () => {
  const guess = new OverflowGuess({ queueLimit: 100 });
  assert.deepEqual(feed(guess, evenly(10_000, 10_100, 60)), []);
  assert.deepEqual(feed(guess, evenly(10_110, 10_200, 39)), [10_200], '60 + 39 = 99 events within 200 ms');
});

test('a flood that goes on asks again once per second, not once per event', () => {
  const guess = new OverflowGuess({ queueLimit: 16 });
  // 100 events a second for three seconds.
  const flagged = feed(guess, evenly(50_000, 52_990, 300));
  assert.equal(flagged.length, 3, `flagged at ${flagged.join(', ')}`);
  for (let i = 1; i < flagged.length; i++) assert.ok((flagged[i] ?? 0) - (flagged[i - 1] ?? 0) >= 1000);
});

test('the queue size is read from /proc/sys/fs/inotify/max_queued_events, not assumed', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'overflow-guess-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'max_queued_events');
  writeFileSync(file, '131072\n');
  assert.equal(readMaxQueuedEvents(file), 131_072);
  writeFileSync(file, 'junk\n');
  assert.equal(readMaxQueuedEvents(file), undefined);
  assert.equal(readMaxQueuedEvents(join(dir, 'missing')), undefined);
  const real = readMaxQueuedEvents();
  assert.ok(real === undefined || real > 0, `the machine's value: ${real}`);
});

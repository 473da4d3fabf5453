import assert from 'node:assert/strict';
import { test } from 'node:test';
import { LoopStallJudge, LoopStallMonitor } from '../../src/watch/loop-stall.js';
import { recordingLogger } from '../helpers/recording-logger.js';
import { waitFor } from '../helpers/wait.js';

// The judge on a fake clock: ticks due every 250 ms (the default is 500), a tick 1 s late or more is a stall.

test('steady ticks, late by less than a second, are no stall', () => {
  const judge = new LoopStallJudge({ tickMs: 250 }, 0, 0);
  let events = 0;
  for (let now = 250; now <= 10_000; now += 250 + (now % 1000 === 0 ? 900 : 0)) {
    events += 100;
    assert.equal(judge.tick(now, events), undefined, `at ${now}`);
  }
});

test('a 3 s stall with events waiting after it is a possible loss', () => {
  const judge = new LoopStallJudge({ tickMs: 250 }, 0, 0);
  assert.equal(judge.tick(250, 10), undefined);
  // The loop was blocked from 250 to 3500: the tick comes 3 s late; the pipe's backlog is read right after it.
  assert.equal(judge.tick(3500, 10), undefined, 'the events held back are read after this tick');
  assert.deepEqual(judge.tick(3750, 2000), { stalledMs: 3000, eventsWaiting: true });
  assert.equal(judge.tick(4000, 2100), undefined, 'judged once');
});

test('a stall while nothing was written is judged harmless once the drain time passed', () => {
  const judge = new LoopStallJudge({ tickMs: 250 }, 0, 5);
  assert.equal(judge.tick(2500, 5), undefined);
  assert.equal(judge.tick(2750, 5), undefined);
  assert.equal(judge.tick(3000, 5), undefined);
  assert.equal(judge.tick(3250, 5), undefined);
  assert.deepEqual(judge.tick(3500, 5), { stalledMs: 2250, eventsWaiting: false });
});

test('two stalls in a row are judged once, with the longer stall', () => {
  const judge = new LoopStallJudge({ tickMs: 250, stallMs: 500 }, 0, 0);
  assert.equal(judge.tick(1000, 0), undefined);
  assert.equal(judge.tick(3000, 0), undefined);
  assert.deepEqual(judge.tick(3250, 1), { stalledMs: 1750, eventsWaiting: true });
});

test('the monitor notices a real 2 s block of the event loop with events waiting, and names the cause', async (t) => {
  let events = 0;
  const causes: string[] = [];
  const { log } = recordingLogger();
  const monitor = new LoopStallMonitor({ events: () => events, onPossibleLoss: (cause) => causes.push(cause), log });
  monitor.start();
  t.after(() => monitor.stop());
  // Synchronous work that holds the loop, as a huge fdinfo read or a long GC would.
  const until = Date.now() + 2000;
  while (Date.now() < until);
  events = 500; // what inotifywait had waiting in the pipe
  await waitFor(() => causes.length > 0, 'the stall to be reported', 3000);
  assert.equal(causes.length, 1);
  assert.match(causes[0] ?? '', /^the daemon's event loop stalled for \d\.\d s while inotify events were coming in/);
});

test('a block of the event loop while no event came is only a debug line', async (t) => {
  const causes: string[] = [];
  const { log, lines } = recordingLogger();
  const monitor = new LoopStallMonitor({ events: () => 7, onPossibleLoss: (cause) => causes.push(cause), log });
  monitor.start();
  t.after(() => monitor.stop());
  const until = Date.now() + 2000;
  while (Date.now() < until);
  await waitFor(() => lines.some((line) => line.includes('no inotify event was waiting')), 'the harmless stall to be judged', 3000);
  assert.deepEqual(causes, []);
});

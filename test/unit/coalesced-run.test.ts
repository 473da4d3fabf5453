import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CoalescedRun } from '../../src/daemon/coalesced-run.js';

test('requests during a run coalesce into one more run, never an overlapping one', async () => {
  let active = 0;
  let most = 0;
  let runs = 0;
  const gates: Array<() => void> = [];
  const run = new CoalescedRun(async () => {
    runs++;
    active++;
    most = Math.max(most, active);
    await new Promise<void>((release) => gates.push(release));
    active--;
  });
  const first = run.request();
  assert.equal(first.outcome, 'started');
  assert.equal(run.request().outcome, 'queued');
  assert.equal(run.request().outcome, 'already-queued');
  assert.equal(run.request().outcome, 'already-queued');
  gates.shift()?.();
  // The queued run starts after the first ends; release it once it waits.
  for (let i = 0; i < 10 && gates.length === 0; i++) await new Promise((resolve) => setImmediate(resolve));
  gates.shift()?.();
  await first.done;
  assert.equal(runs, 2);
  assert.equal(most, 1);
  assert.equal(run.busy, false);
  const later = run.request();
  assert.equal(later.outcome, 'started');
  gates.shift()?.();
  await later.done;
  assert.equal(runs, 3);
});

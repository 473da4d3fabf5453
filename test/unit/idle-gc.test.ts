import assert from 'node:assert/strict';
import { test } from 'node:test';
import { exposeGc, IdleCollector } from '../../src/process/idle-gc.js';

const MB = 1024 * 1024;

// A fake heap: V8's own collection cannot be made to free a known amount on demand.
test('collects once the committed heap grew by the threshold since the last collection, then waits for new growth', () => {
  let heap = 10 * MB;
  let collections = 0;
  const collector = new IdleCollector(() => {
    collections++;
    heap = 10.5 * MB;
  }, () => heap, 1 * MB, 2);
  heap = 10.75 * MB;
  assert.equal(collector.idle(), false, '0.75 MB of growth is below the threshold');
  heap = 12 * MB;
  assert.equal(collector.idle(), true);
  assert.equal(collections, 2, 'two passes: the second lets V8 shrink the young generation');
  assert.equal(collector.idle(), false, 'nothing grew since: no second collection');
  heap = 11.5 * MB;
  assert.equal(collector.idle(), true, 'measured from the heap after the last collection (10.5 MB)');
  assert.equal(collections, 4);
});

test('growth counts from the lowest heap seen, also when V8 shrank it on its own', () => {
  let heap = 12 * MB;
  let collections = 0;
  const collector = new IdleCollector(() => collections++, () => heap, 1 * MB);
  heap = 9 * MB;
  assert.equal(collector.idle(), false);
  heap = 10.5 * MB;
  assert.equal(collector.idle(), true, '1.5 MB above the 9 MB low, though below the 12 MB at start');
});

test('without a gc function nothing happens', () => {
  const collector = new IdleCollector(undefined, () => 100 * MB);
  assert.equal(collector.idle(), false);
});

// This test process runs without --expose-gc, as the daemon does.
test('exposeGc gives a working full collection without --expose-gc, and leaves no gc in new contexts', async () => {
  assert.equal((globalThis as { gc?: unknown }).gc, undefined, 'the test runs without --expose-gc');
  const gc = exposeGc();
  assert.equal(typeof gc, 'function');
  const { runInNewContext } = await import('node:vm');
  assert.equal(runInNewContext('typeof gc'), 'undefined');
  let garbage: object[] | undefined = Array.from({ length: 200_000 }, (_, i) => ({ i }));
  const before = process.memoryUsage().heapUsed;
  garbage = undefined;
  gc?.();
  assert.equal(garbage, undefined);
  assert.ok(process.memoryUsage().heapUsed < before - 4 * MB, 'the collection freed the 200,000 objects');
});

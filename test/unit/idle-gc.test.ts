import assert from 'node:assert/strict';
import { test } from 'node:test';
import { IdleCollector } from '../../src/process/idle-gc.js';

const MB = 1024 * 1024;

// A fake heap: V8's own collection cannot be made to free a known amount on demand.
test('collects once the heap grew by the threshold since the last collection, then waits for new growth', () => {
  let heap = 10 * MB;
  let collections = 0;
  const collector = new IdleCollector(() => {
    collections++;
    heap = 11 * MB;
  }, () => heap, 4 * MB);
  heap = 13 * MB;
  assert.equal(collector.idle(), false, '3 MB of growth is below the threshold');
  heap = 15 * MB;
  assert.equal(collector.idle(), true);
  assert.equal(collections, 1);
  assert.equal(collector.idle(), false, 'nothing grew since: no second collection');
  heap = 15.5 * MB;
  assert.equal(collector.idle(), true, 'measured from the heap after the last collection (11 MB)');
});

test('without --expose-gc nothing happens', () => {
  const collector = new IdleCollector(undefined, () => 100 * MB);
  assert.equal(collector.idle(), false);
});

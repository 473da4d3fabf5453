import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PathRetry } from '../../src/loop/path-retry.js';

test('failed paths wait for their backoff, which grows while batches keep failing', () => {
  const retry = new PathRetry();
  retry.record(['/a'], 0);
  const first = retry.nextAt();
  assert.ok(first !== undefined && first > 0);
  assert.equal(retry.due(first - 1), false);
  assert.equal(retry.due(first), true);
  retry.record(['/b'], first);
  const second = retry.nextAt()! - first;
  assert.ok(second >= first, `second delay ${second} ms, first ${first} ms`);
  assert.deepEqual(retry.take().sort(), ['/a', '/b']);
  assert.equal(retry.nextAt(), undefined, 'nothing waits once taken');
});

test('a batch without failures resets the backoff', () => {
  const retry = new PathRetry();
  retry.record(['/a'], 0);
  const first = retry.nextAt()!;
  retry.record(['/a'], 0);
  retry.record([], 0);
  retry.record(['/a'], 0);
  assert.equal(retry.nextAt(), first);
});

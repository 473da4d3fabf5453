import assert from 'node:assert/strict';
import { test } from 'node:test';
import { collapseToAncestors, planBatch } from '../../src/batch/plan-batch.js';
import { chunkArguments } from '../../src/sync/argument-chunks.js';

const thresholds = { numBatchedChangesThreshold: 100, rsyncThreshold: 50 };

test('a batch at the full-sync threshold becomes a full sync', () => {
  assert.deepEqual(planBatch({ paths: [], distinct: 100, overLimit: false }, thresholds), { kind: 'full-sync', distinct: 100 });
  assert.equal(planBatch({ paths: [], distinct: 101, overLimit: true }, thresholds).kind, 'full-sync');
});

test('a batch at the rsync threshold goes through rsync unless rsync is off', () => {
  const paths = Array.from({ length: 50 }, (_, i) => `/p${i}`);
  assert.equal(planBatch({ paths, distinct: 50, overLimit: false }, thresholds).kind, 'rsync');
  assert.equal(planBatch({ paths, distinct: 50, overLimit: false }, { ...thresholds, rsyncThreshold: undefined }).kind, 'csync2');
  assert.equal(planBatch({ paths: [], distinct: 0, overLimit: false }, thresholds).kind, 'empty');
});

test('paths under a queued directory are covered by it', () => {
  assert.deepEqual(
    collapseToAncestors(['/w/a/b/c', '/w/a', '/w/a b', '/w/a b/x', '/w/ab', '/w/a/z']).sort(),
    ['/w/a', '/w/a b', '/w/ab'],
  );
});

test('argument chunks stay under the budget and keep every path once, in order', () => {
  const paths = Array.from({ length: 20_000 }, (_, i) => `/srv/www/${'x'.repeat(190)}/${i}`);
  const chunks = chunkArguments(paths, 256 * 1024);
  assert.ok(chunks.length > 1);
  for (const chunk of chunks) {
    const bytes = chunk.reduce((sum, p) => sum + Buffer.byteLength(p) + 9, 0);
    assert.ok(bytes <= 256 * 1024, `chunk of ${bytes} bytes`);
  }
  assert.deepEqual(chunks.flat(), paths);
});

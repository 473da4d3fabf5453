import assert from 'node:assert/strict';
import { appendFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { readBatch } from '../../src/queue/read-batch.js';
import { encodeRecord, splitRecords } from '../../src/queue/records.js';

test('records keep any file name whole, newlines included', () => {
  const names = ['/a/b c', '/a/line\nbreak', '/a/-dash', '/a/ünï', '/a/tab\tname'];
  const { records, consumed } = splitRecords(Buffer.from(names.map(encodeRecord).join('')));
  assert.deepEqual(records, names);
  assert.equal(consumed, Buffer.byteLength(names.map(encodeRecord).join('')));
});

test('an unfinished record at the end is left for the next read', () => {
  const { records, consumed } = splitRecords(Buffer.from('/a\0/b'));
  assert.deepEqual(records, ['/a']);
  assert.equal(consumed, 3);
});

test('readBatch reads only what follows the offset and removes duplicates', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'queue-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'queue');
  writeFileSync(file, ['/x', '/y', '/x'].map(encodeRecord).join(''));
  const first = readBatch(file, 0, 100);
  assert.deepEqual(first.paths, ['/x', '/y']);
  assert.equal(first.records, 3);
  appendFileSync(file, ['/z', '/x'].map(encodeRecord).join('') + '/partial');
  const second = readBatch(file, first.nextOffset, 100);
  assert.deepEqual(second.paths, ['/z', '/x']);
  assert.equal(second.records, 2);
  assert.equal(second.nextOffset, first.nextOffset + 6);
});

test('past the limit readBatch keeps no paths but still advances', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'queue-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'queue');
  writeFileSync(file, Array.from({ length: 50 }, (_, i) => encodeRecord(`/f${i}`)).join(''));
  const batch = readBatch(file, 0, 10);
  assert.equal(batch.overLimit, true);
  assert.deepEqual(batch.paths, []);
  assert.equal(batch.records, 50);
  assert.equal(batch.nextOffset, batch.size);
});

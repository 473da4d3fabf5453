import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, truncateSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, test } from 'node:test';
import { createBatchReader } from '../../src/batch/batch-reader.js';
import { silentLogger } from '../../src/log/logger.js';
import { QueueCursor } from '../../src/queue/queue-cursor.js';
import { QueueFile } from '../../src/queue/queue-file.js';

// The reading side of a real queue file: offset, reset count, and what
// happens when someone else deletes or truncates the file.

let dir: string;
let queue: QueueFile;
let cursor: QueueCursor;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'queue-cursor-'));
  queue = new QueueFile(join(dir, 'queue'), silentLogger(), { onAppend: () => {}, onNeedFullSync: () => {} });
  queue.open();
  cursor = new QueueCursor(queue, createBatchReader('async'));
});
afterEach(() => {
  queue.close();
  rmSync(dir, { recursive: true, force: true });
});

function write(...paths: string[]): void {
  for (const path of paths) queue.append(path);
  queue.flush();
}

test('reads only what is new and counts records toward the reset', async () => {
  write('/a', '/b', '/a');
  assert.deepEqual((await cursor.read(100)).paths, ['/a', '/b']);
  assert.equal(cursor.linesRead, 3);
  assert.equal(cursor.hasUnread, false);
  write('/c');
  assert.deepEqual((await cursor.read(100)).paths, ['/c']);
  assert.equal(cursor.resetDue(4), true);
});

test('a reset empties the file but carries the unread records over', async () => {
  write('/read');
  await cursor.read(100);
  write('/unread-1', '/unread-2');
  const carried = cursor.reset();
  assert.ok(carried > 0);
  assert.equal(cursor.offset, 0);
  assert.equal(cursor.linesRead, 0);
  assert.deepEqual((await cursor.read(100)).paths, ['/unread-1', '/unread-2']);
  assert.ok(!readFileSync(queue.path, 'utf8').includes('/read\n'), 'the read record is gone from the file');
});

test('records a full sync covered are skipped and counted', async () => {
  write('/a', '/b');
  const coveredUpTo = queue.size();
  write('/after');
  await cursor.skipCovered(coveredUpTo);
  assert.equal(cursor.linesRead, 2);
  assert.deepEqual((await cursor.read(100)).paths, ['/after'], 'what came after the full sync started is still read');
});

test('a file deleted or truncated behind the daemon is mended and reported', async () => {
  write('/a', '/b');
  await cursor.read(100);
  truncateSync(queue.path, 0);
  write('/c');
  assert.equal(cursor.verify(), 'truncated', 'shorter than what was written, although not below the offset');
  assert.equal(cursor.offset, 0);
  write('/d');
  unlinkSync(queue.path);
  assert.equal(cursor.verify(), 'replaced');
  assert.equal(cursor.hasUnread, false, 'the new file starts empty');
  assert.equal(cursor.verify(), undefined);
});

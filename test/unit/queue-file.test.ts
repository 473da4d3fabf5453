import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { linkSync, mkdtempSync, readFileSync, renameSync, rmSync, statSync, truncateSync, unlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { test, type TestContext } from 'node:test';
import { silentLogger } from '../../src/log/logger.js';
import { QueueFile } from '../../src/queue/queue-file.js';
import { readBatch } from '../../src/queue/read-batch.js';
import { encodeRecord, splitRecords } from '../../src/queue/records.js';

// The writing side of the queue file: appends gathered per event-loop turn,
// its size, and a reset or truncation that goes through the daemon's own
// descriptor, never the path. (Refusals of links and open directories: queue.test.ts.)

function queueIn(t: TestContext): { queue: QueueFile; path: string; appends: () => number } {
  const dir = mkdtempSync(join(tmpdir(), 'queue-file-'));
  const path = join(dir, 'queue');
  let appends = 0;
  const queue = new QueueFile(path, silentLogger(), { onAppend: () => appends++, onNeedFullSync: () => undefined });
  t.after(() => {
    queue.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return { queue, path, appends: () => appends };
}

const bytesOf = (...paths: string[]): number => Buffer.byteLength(paths.map(encodeRecord).join(''));

test('open() empties a queue left from before, as the bash script does at start; a new one is 0600', (t) => {
  const { queue, path } = queueIn(t);
  queue.prepareDirectory();
  writeFileSync(path, encodeRecord('/left/from/last/run'), { mode: 0o644 });
  queue.open();
  assert.equal(statSync(path).size, 0);
  assert.equal(queue.size(), 0);
  queue.close();
  unlinkSync(path);
  queue.open();
  assert.equal(statSync(path).mode & 0o777, 0o600);
});

test('appends of one event-loop turn reach the file together at its end, with one onAppend', async (t) => {
  const { queue, path, appends } = queueIn(t);
  queue.open();
  for (const name of ['/a', '/b c', '/line\nbreak']) queue.append(name);
  assert.equal(statSync(path).size, 0, 'nothing written within the turn');
  assert.equal(queue.pendingCount, 3);
  await nextTurn();
  assert.equal(queue.pendingCount, 0);
  assert.equal(appends(), 1);
  assert.equal(queue.appended, 3);
  assert.deepEqual((await readBatch(path, 0, 10)).paths, ['/a', '/b c', '/line\nbreak']);
});

test('flush() writes what is pending at once; size() is the bytes in the file, 0 before open', (t) => {
  const { queue, path, appends } = queueIn(t);
  assert.equal(queue.size(), 0);
  queue.open();
  queue.append('/x');
  queue.append('/y');
  queue.flush();
  assert.equal(queue.size(), bytesOf('/x', '/y'));
  assert.equal(statSync(path).size, queue.size());
  assert.equal(appends(), 1);
  queue.flush();
  assert.equal(appends(), 1, 'a flush with nothing pending is no append');
});

test('truncate() and resetKeepingTail() act on the file the daemon writes, not on whatever the path names now', async (t) => {
  const { queue, path } = queueIn(t);
  queue.open();
  for (const name of ['/read', '/unread']) queue.append(name);
  queue.flush();
  // The daemon's file moved away and another took its name: the descriptor still names the daemon's.
  const moved = `${path}.moved`;
  renameSync(path, moved);
  writeFileSync(path, 'another file\n');
  assert.equal(queue.replaced(), true);

  assert.equal(queue.resetKeepingTail(bytesOf('/read')), bytesOf('/unread'));
  assert.deepEqual((await readBatch(moved, 0, 10)).paths, ['/unread'], 'the tail was read and rewritten through the descriptor');
  queue.truncate();
  assert.equal(statSync(moved).size, 0);
  assert.equal(readFileSync(path, 'utf8'), 'another file\n', 'the file now at the path is untouched');
});

test('a reset with nothing unread empties the file; the next appends start at 0', async (t) => {
  const { queue, path } = queueIn(t);
  queue.open();
  queue.append('/a');
  queue.flush();
  assert.equal(queue.resetKeepingTail(queue.size()), 0);
  assert.equal(statSync(path).size, 0);
  queue.append('/b');
  queue.flush();
  assert.deepEqual((await readBatch(path, 0, 10)).paths, ['/b'], 'O_APPEND: no gap of NULs where the old records were');
  assert.equal(queue.truncatedBehindUs(), false);
});

test('a truncation by someone else is told apart from the daemon\'s own, also after new appends', (t) => {
  const { queue, path } = queueIn(t);
  queue.open();
  queue.append('/a');
  queue.append('/b');
  queue.flush();
  queue.truncate();
  assert.equal(queue.truncatedBehindUs(), false, 'its own truncation');
  queue.append('/c');
  queue.flush();
  truncateSync(path, 0);
  queue.append('/long/path/after/the/truncation');
  queue.flush();
  assert.equal(queue.truncatedBehindUs(), true);
});

test('a path replaced by a hard link is noticed and refused by reopen(); once it is removed, reopen() starts an empty file', (t) => {
  const { queue, path } = queueIn(t);
  queue.open();
  queue.append('/a');
  queue.flush();
  const other = `${path}.other`;
  writeFileSync(other, 'precious\n');
  unlinkSync(path);
  linkSync(other, path);
  assert.equal(queue.replaced(), true);
  assert.throws(() => queue.reopen(), { message: /has 2 hard links/ }, 'the link is refused, not emptied');
  assert.equal(readFileSync(other, 'utf8'), 'precious\n');
  unlinkSync(path);
  queue.reopen();
  assert.equal(queue.replaced(), false);
  assert.equal(queue.size(), 0);
});

test('a queue path that is no regular file (a FIFO) is refused', (t) => {
  const { queue, path } = queueIn(t);
  queue.prepareDirectory();
  execFileSync('mkfifo', ['--', path]);
  assert.throws(() => queue.open(), { message: `queue file ${path} is not a regular file: remove it, or choose another --queue-file` });
});

test('a reset carrying megabytes of unread records moves them to the start whole, in order, and appends follow them', async (t) => {
  const { queue, path } = queueIn(t);
  queue.open();
  // 3 MB read, 2.5 MB unread: the tail overlaps where it goes and takes several 1 MB slices.
  const paths = Array.from({ length: 110_000 }, (_, i) => `/srv/www/dir-${i % 100}/file-${String(i).padStart(7, '0')}`);
  for (const p of paths) queue.append(p);
  queue.flush();
  const whole = readFileSync(path);
  const offset = whole.indexOf(0, 3 * 1024 * 1024) + 1;
  const carried = queue.resetKeepingTail(offset);
  assert.equal(carried, whole.length - offset);
  assert.ok(readFileSync(path).equals(whole.subarray(offset)), 'the file is exactly the unread tail');
  queue.append('/after');
  queue.flush();
  const batch = await readBatch(path, 0, 200_000);
  const unread = splitRecords(whole.subarray(offset)).records;
  assert.deepEqual(batch.paths, [...unread, '/after']);
  assert.equal(queue.truncatedBehindUs(), false);
});

import assert from 'node:assert/strict';
import { closeSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { createServer, connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createBatchReader } from '../../src/batch/batch-reader.js';
import { readBatch, scanQueuedPaths, SLICE_BYTES } from '../../src/queue/read-batch.js';
import { encodeRecord } from '../../src/queue/records.js';

// A backlog of many megabytes in the queue file (a long full sync under heavy
// writes, a dead daemon's queue): reading it must not hold the event loop, or
// the systemd watchdog ping, the csync2 listener (a net server in the same
// process) and every timer wait until it is done. Counted in event-loop turns
// and accepted connections, not in milliseconds.

const BACKLOG_MB = 48;
let dir: string;
let file: string;
let records = 0;

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'queue-backlog-'));
  file = join(dir, 'queue');
  const fd = openSync(file, 'w', 0o600);
  try {
    while (statSync(file).size < BACKLOG_MB * 1024 * 1024) {
      const block = Array.from({ length: 50_000 }, (_, i) => encodeRecord(`/srv/www/site-${i % 17}/dir-${i % 1700}/file-${records + i}.html`));
      records += block.length;
      writeSync(fd, block.join(''));
    }
  } finally {
    closeSync(fd);
  }
});
after(() => rmSync(dir, { recursive: true, force: true }));

/** Counts the turns of the event loop (a setImmediate chain) until stopped. */
function countTurns(): { stop: () => number } {
  let turns = 0;
  let running = true;
  const turn = (): void => {
    if (!running) return;
    turns++;
    setImmediate(turn);
  };
  setImmediate(turn);
  return {
    stop: () => {
      running = false;
      return turns;
    },
  };
}

test(`the daemon's reader takes a ${BACKLOG_MB} MB backlog in slices: the loop turns, a connection is accepted, an interval fires`, async (t) => {
  const server = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(() => server.close());
  let accepted = 0;
  server.on('connection', () => accepted++);
  let intervals = 0;
  const interval = setInterval(() => intervals++, 1);
  t.after(() => clearInterval(interval));
  const reader = createBatchReader('async');
  t.after(() => reader.close());

  // As the sync loop reads a batch: past num_batched_changes_threshold the rest is only counted.
  const turns = countTurns();
  const client = connect((server.address() as AddressInfo).port, '127.0.0.1');
  client.on('error', () => {});
  t.after(() => client.destroy());
  const batch = await reader.read(file, 0, 15_000);
  const turnsDuringRead = turns.stop();
  const acceptedDuringRead = accepted;
  const intervalsDuringRead = intervals;

  assert.equal(batch.records, records, 'every record is counted');
  assert.equal(batch.overLimit, true);
  assert.equal(batch.nextOffset, statSync(file).size);
  const slices = Math.ceil(batch.size / SLICE_BYTES);
  assert.ok(turnsDuringRead >= slices - 1, `the event loop turned ${turnsDuringRead} times during a read of ${slices} slices (once per slice expected)`);
  assert.equal(acceptedDuringRead, 1, 'the listener accepted the connection made at the start of the read before the read ended');
  assert.ok(intervalsDuringRead > 0, 'a 1 ms interval (a watchdog ping) fired during the read');
});

test('the records a full sync covered are skipped in slices too', async () => {
  const turns = countTurns();
  const skipped = await readBatch(file, 0, 0, statSync(file).size);
  const turnsDuringRead = turns.stop();
  assert.equal(skipped.records, records);
  assert.ok(turnsDuringRead >= Math.ceil(skipped.size / SLICE_BYTES) - 1, `the loop turned ${turnsDuringRead} times`);
});

test('the reader pauses at least once every SLICE_BYTES bytes', async () => {
  let pauses = 0;
  const batch = await readBatch(file, 0, 15_000, undefined, async () => void pauses++);
  assert.equal(batch.records, records);
  assert.ok(pauses >= Math.ceil(batch.size / SLICE_BYTES) - 1, `${pauses} pauses for ${batch.size} bytes`);
});

test('a small read does not pause at all (the per-cycle cost stays one read)', async () => {
  const small = join(dir, 'small');
  writeFileSync(small, ['/a', '/b', '/a'].map(encodeRecord).join(''));
  let pauses = 0;
  const batch = await readBatch(small, 0, 100, undefined, async () => void pauses++);
  assert.deepEqual(batch.paths, ['/a', '/b']);
  assert.equal(pauses, 0);
});

test('a dead daemon\'s queue is handed over in chunks of at most N distinct paths, every path once per chunk', async () => {
  const dead = join(dir, 'dead');
  writeFileSync(dead, Array.from({ length: 50 }, (_, i) => encodeRecord(`/f${i % 45}`)).join(''));
  const chunks: string[][] = [];
  const scan = await scanQueuedPaths(dead, 20, async (paths) => void chunks.push(paths));
  // /f0 to /f4 come again after the first chunk was handed over: re-marked twice, harmless.
  assert.deepEqual(chunks.map((chunk) => chunk.length), [20, 20, 10]);
  assert.deepEqual(new Set(chunks.flat()), new Set(Array.from({ length: 45 }, (_, i) => `/f${i}`)));
  assert.deepEqual(scan, { records: 50, paths: 50, chunks: 3 });
  assert.deepEqual(await scanQueuedPaths(join(dir, 'missing'), 20, async () => assert.fail('no chunk')), { records: 0, paths: 0, chunks: 0 });
});

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { after, before, test } from 'node:test';
import { runCli } from '../../src/cli/cli.js';
import { InstanceLock, lockFilePath } from '../../src/daemon/instance-lock.js';
import type { DaemonStatus } from '../../src/daemon/status-snapshot.js';
import { statusFilePath } from '../../src/status/status-file.js';
import { fixedStatus } from './metrics-fixture.js';

let dir: string;
let lock: InstanceLock;
const queueFile = (): string => join(dir, 'host1.queue');
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inotify-csync-status-json-'));
  // `status` believes a status file only while a daemon holds the queue's lock: this process does.
  lock = new InstanceLock(lockFilePath(queueFile()));
  await lock.acquire('host1');
});
after(async () => {
  lock.release();
  await rm(dir, { recursive: true, force: true });
});

function capture(): { stream: PassThrough; text: () => string } {
  const stream = new PassThrough();
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return { stream, text: () => Buffer.concat(chunks).toString('utf8') };
}

test('status --json prints the snapshot with the metrics numbers, and only JSON, on stdout; exit 0', async () => {
  const snapshot: DaemonStatus = { ...fixedStatus(), pid: process.pid };
  await writeFile(statusFilePath(queueFile()), JSON.stringify(snapshot));
  const stdout = capture();
  const stderr = capture();
  const exitCode = await runCli(['status', '--queue-file', queueFile(), '--json'], { stdout: stdout.stream, stderr: stderr.stream, env: {} });
  assert.equal(exitCode, 0, stderr.text());
  assert.equal(stderr.text(), '');
  const printed = JSON.parse(stdout.text()) as DaemonStatus;
  assert.deepEqual(printed, snapshot, 'the same numbers as the daemon published');
  // The fields the metrics file is made of, by name.
  assert.deepEqual(Object.keys(printed.histograms).sort(), ['batchDurationSeconds', 'fullSyncDurationSeconds', 'syncLatencySeconds']);
  for (const histogram of Object.values(printed.histograms)) assert.deepEqual(Object.keys(histogram).sort(), ['buckets', 'count', 'sum']);
  assert.deepEqual(printed.peers.map((peer) => [peer.name, peer.up, peer.pendingPaths, peer.consecutiveFailures]), [['host2', true, 0, 0], ['we"ird\\host', false, 12, 3]]);
  assert.equal(printed.watchLimit, 524_288);
  assert.deepEqual(printed.queue.size - printed.queue.offset, 512);
});

test('status --json for a daemon that has stopped: exit 3, stdout empty, the reason on stderr', async () => {
  await writeFile(statusFilePath(queueFile()), JSON.stringify({ ...fixedStatus(), pid: process.pid, state: 'stopped' }));
  const stdout = capture();
  const stderr = capture();
  const exitCode = await runCli(['status', '--queue-file', queueFile(), '--json'], { stdout: stdout.stream, stderr: stderr.stream, env: {} });
  assert.equal(exitCode, 3);
  assert.equal(stdout.text(), '');
  assert.match(stderr.text(), /^inotify-csync is not running: PID \d+ has stopped\n$/);
});

import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createConsola } from 'consola';
import { silentLogger } from '../../src/log/logger.js';
import { renderMetrics } from '../../src/metrics/prometheus-text.js';
import { attachStatusFile, readStatusFile, statusFilePath } from '../../src/status/status-file.js';
import { waitFor } from '../helpers/wait.js';
import { FakeDaemon } from './systemd/fake-daemon.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inotify-csync-metrics-file-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('the metrics file is written with the status file from the same snapshot, 0644, no temporary file left, removed on stop', async () => {
  const queueFile = join(dir, 'a.queue');
  const metricsFile = join(dir, 'inotify-csync.prom');
  const daemon = new FakeDaemon();
  const observer = attachStatusFile(daemon, { queueFile, metricsFile, log: silentLogger(), intervalMs: 50, minGapMs: 10 });
  await writeFile(`${queueFile}.lock`, `${process.pid}\n`);
  daemon.become('running');
  const status = await waitFor(() => {
    const read = readStatusFile(statusFilePath(queueFile));
    return read.found && read.status.state === 'running' && existsSync(metricsFile) ? read.status : undefined;
  }, 'the status and metrics files');
  assert.ok(status);
  const text = readFileSync(metricsFile, 'utf8');
  // Both files may have been rewritten between the two reads: compare with what the snapshot gives.
  assert.match(text, /^inotify_csync_state\{state="running"\} 1$/m);
  assert.equal(text.replace(/^inotify_csync_last_update_timestamp_seconds .*$/m, ''), renderMetrics(status).replace(/^inotify_csync_last_update_timestamp_seconds .*$/m, ''));
  assert.equal(statSync(metricsFile).mode & 0o777, 0o644);
  assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), [], 'no temporary file is left behind');
  daemon.become('stopped');
  assert.ok(!existsSync(metricsFile), 'removed on stop');
  await observer.close();
});

test('a metrics file replaced by someone else meanwhile is not removed on stop', async () => {
  const queueFile = join(dir, 'b.queue');
  const metricsFile = join(dir, 'b.prom');
  const daemon = new FakeDaemon();
  const observer = attachStatusFile(daemon, { queueFile, metricsFile, log: silentLogger(), intervalMs: 50, minGapMs: 10 });
  await writeFile(`${queueFile}.lock`, `${process.pid}\n`);
  daemon.become('running');
  await waitFor(() => existsSync(metricsFile), 'the metrics file');
  await observer.close();
  await writeFile(join(dir, 'other'), 'theirs\n');
  await rename(join(dir, 'other'), metricsFile);
  daemon.become('stopped');
  assert.equal(readFileSync(metricsFile, 'utf8'), 'theirs\n');
});

test('an unwritable metrics file is one warning naming the fix, and the status file is still written', async () => {
  const queueFile = join(dir, 'c.queue');
  const metricsFile = join(dir, 'missing-dir', 'c.prom');
  const warnings: string[] = [];
  const log = createConsola({ level: 1, reporters: [{ log: (entry) => warnings.push(entry.args.map(String).join(' ')) }] });
  const daemon = new FakeDaemon();
  const observer = attachStatusFile(daemon, { queueFile, metricsFile, log, intervalMs: 20, minGapMs: 5 });
  await writeFile(`${queueFile}.lock`, `${process.pid}\n`);
  daemon.become('running');
  const updatedAt = (): number => {
    const read = readStatusFile(statusFilePath(queueFile));
    return read.found ? read.status.updatedAt : 0;
  };
  const first = await waitFor(updatedAt, 'the status file');
  // Interval writes 20 ms apart, each failing the same way: still one warning.
  await waitFor(() => updatedAt() >= first + 100, 'more interval writes');
  daemon.become('stopped');
  await observer.close();
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0] ?? '', /^cannot write the metrics file .*c\.prom: .*ENOENT.*; make its directory writable for this user, or choose another --metrics-file$/);
});

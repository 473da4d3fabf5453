import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, mock, test } from 'node:test';
import { silentLogger } from '../../../src/log/logger.js';
import { attachStatusFile, readStatusFile, statusFilePath } from '../../../src/status/status-file.js';
import { waitFor } from '../../helpers/wait.js';
import { FakeDaemon } from './fake-daemon.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inotify-csync-status-file-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('written once this process holds the lock, rewritten on events, removed on stop', async (t) => {
  const queueFile = join(dir, 'a.queue');
  const path = statusFilePath(queueFile);
  const daemon = new FakeDaemon();
  // The fake clock runs the writer's timers on demand: absence is shown after they ran, not after a hopeful sleep.
  mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'] });
  t.after(() => mock.timers.reset());
  const observer = attachStatusFile(daemon, { queueFile, log: silentLogger(), intervalMs: 50, minGapMs: 10 });
  daemon.emit('progress', 'setting up watches');
  daemon.become('starting');
  mock.timers.tick(120);
  assert.ok(!existsSync(path), 'no file before the lock is ours, although the timer fired twice and a state change asked for a write');
  await writeFile(`${queueFile}.lock`, `${process.pid}\n`);
  daemon.become('running');
  mock.timers.tick(10);
  const read = readStatusFile(path);
  assert.ok(read.found && read.status.state === 'running', 'written at the next timer once the lock is ours');
  assert.equal(read.found && read.status.pid, process.pid);
  assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.tmp')), [], 'the temporary file was renamed');
  daemon.become('stopped');
  assert.ok(!existsSync(path), 'removed on stop');
  await observer.close();
});

test('a daemon refused at start-up leaves the running one\'s file alone', async (t) => {
  const queueFile = join(dir, 'b.queue');
  const path = statusFilePath(queueFile);
  const other = JSON.stringify({ pid: 1, state: 'running' });
  await writeFile(`${queueFile}.lock`, '1\n');
  await writeFile(path, other);
  const daemon = new FakeDaemon();
  mock.timers.enable({ apis: ['setInterval', 'setTimeout', 'Date'] });
  t.after(() => mock.timers.reset());
  const observer = attachStatusFile(daemon, { queueFile, log: silentLogger(), intervalMs: 20, minGapMs: 5 });
  daemon.become('draining');
  mock.timers.tick(100);
  daemon.become('stopped');
  await observer.close();
  assert.equal(await readFile(path, 'utf8'), other);
});

test('a link planted under the old predictable temporary name (PATH.PID.tmp) is not written through', async () => {
  const queueFile = join(dir, 'c.queue');
  const path = statusFilePath(queueFile);
  const victim = join(dir, 'victim');
  await writeFile(victim, 'precious\n');
  await symlink(victim, `${path}.${process.pid}.tmp`);
  await writeFile(`${queueFile}.lock`, `${process.pid}\n`);
  const daemon = new FakeDaemon();
  const observer = attachStatusFile(daemon, { queueFile, log: silentLogger(), intervalMs: 50, minGapMs: 5 });
  daemon.become('running');
  await waitFor(() => readStatusFile(path).found, 'the status file');
  assert.equal(await readFile(victim, 'utf8'), 'precious\n');
  daemon.become('stopped');
  await observer.close();
});

test('readStatusFile: missing, not JSON, not a status file', async () => {
  const missing = readStatusFile(join(dir, 'none.json'));
  assert.ok(!missing.found && /^no status file /.test(missing.reason));
  await writeFile(join(dir, 'bad.json'), '{');
  const bad = readStatusFile(join(dir, 'bad.json'));
  assert.ok(!bad.found && /is not valid JSON/.test(bad.reason));
  await writeFile(join(dir, 'other.json'), '{"a":1}');
  const other = readStatusFile(join(dir, 'other.json'));
  assert.ok(!other.found && /is not an inotify-csync status file/.test(other.reason));
});

import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { countInotifyWatches, WatchCountSampler } from '../../../src/status/inotify-watches.js';

// A fake /proc: PID 100 is the daemon, 200 and 300 its inotifywait children, 400 its csync2 server, 500 someone else's inotifywait.
let proc: string;
async function fakeProcess(pid: number, ppid: number, comm: string, fds: Record<string, { target: string; fdinfo?: string }>): Promise<void> {
  const dir = join(proc, String(pid));
  await mkdir(join(dir, 'fd'), { recursive: true });
  await mkdir(join(dir, 'fdinfo'), { recursive: true });
  await writeFile(join(dir, 'stat'), `${pid} (${comm}) S ${ppid} ${pid} ${pid} 0 -1\n`);
  await writeFile(join(dir, 'comm'), `${comm}\n`);
  for (const [fd, { target, fdinfo }] of Object.entries(fds)) {
    await symlink(target, join(dir, 'fd', fd));
    await writeFile(join(dir, 'fdinfo', fd), fdinfo ?? 'pos:\t0\nflags:\t02\n');
  }
}
const watches = (n: number): string => `pos:\t0\nflags:\t02004000\n${Array.from({ length: n }, (_, i) => `inotify wd:${i + 1} ino:${i} sdev:800001 mask:fce ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:00\n`).join('')}`;

before(async () => {
  proc = await mkdtemp(join(tmpdir(), 'inotify-csync-proc-'));
  await fakeProcess(100, 1, 'node', {});
  await fakeProcess(200, 100, 'inotifywait', { 0: { target: '/dev/null' }, 3: { target: 'anon_inode:inotify', fdinfo: watches(5) } });
  await fakeProcess(300, 100, 'inotifywait', { 3: { target: 'anon_inode:inotify', fdinfo: watches(2) } });
  await fakeProcess(400, 100, 'csync2', { 3: { target: 'anon_inode:inotify', fdinfo: watches(9) } });
  await fakeProcess(500, 1, 'inotifywait', { 3: { target: 'anon_inode:inotify', fdinfo: watches(50) } });
  await mkdir(join(proc, 'self'));
});
after(() => rm(proc, { recursive: true, force: true }));

test('sums the watches of the daemon\'s inotifywait children only', () => {
  assert.equal(countInotifyWatches(100, proc), 7);
});

test('unknown without inotifywait children', () => {
  assert.equal(countInotifyWatches(500, proc), undefined);
  assert.equal(countInotifyWatches(999, proc), undefined);
});

test('the real /proc: this process has no inotifywait child', () => {
  assert.equal(countInotifyWatches(process.pid), undefined);
});

test('with the children given, only those are looked at', () => {
  assert.equal(countInotifyWatches(100, proc, [200]), 5);
  assert.equal(countInotifyWatches(100, proc, [400]), undefined);
});

test('the sampler counts again only once its interval has passed', () => {
  let counted = 0;
  const sampler = new WatchCountSampler(() => ++counted, 30_000);
  assert.equal(sampler.sample(1000), 1);
  assert.equal(sampler.sample(30_999), 1);
  assert.equal(sampler.sample(31_000), 2);
});

test('the sampler asks again at once while the count is unknown or 0 (no watcher yet, or one setting up)', () => {
  const answers = [undefined, 0, 4, 5];
  const sampler = new WatchCountSampler(() => answers.shift(), 30_000);
  assert.equal(sampler.sample(1000), undefined);
  assert.equal(sampler.sample(1001), 0);
  assert.equal(sampler.sample(1002), 4);
  assert.equal(sampler.sample(1003), 4);
});

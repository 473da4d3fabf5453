import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { childRunning } from '../helpers/processes.js';
import { holds, waitFor } from '../helpers/wait.js';

const isRoot = process.getuid?.() === 0;
const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test('kernel queue overflow: one full sync per burst, nothing lost', { skip: isRoot ? false : 'needs root to lower fs.inotify.max_queued_events' }, async () => {
  const cluster = await LocalCluster.create({ nodes: 2 });
  cleanups.push(() => cluster.destroy());
  await cluster.startServer(1);
  const limitFile = '/proc/sys/fs/inotify/max_queued_events';
  const saved = readFileSync(limitFile, 'utf8').trim();
  // The limit is read when an inotify instance is created: lowered only while this daemon's inotifywait starts.
  writeFileSync(limitFile, '16');
  const daemon = DaemonProcess.start(cluster, 0);
  cleanups.push(() => daemon.stop());
  try {
    await daemon.waitForLine(/INOTIFY: watches established/);
  } finally {
    writeFileSync(limitFile, saved);
  }
  await daemon.ready();
  const watcher = childRunning(daemon.pid as number, 'inotifywait');
  assert.ok(watcher);
  const a = cluster.node(0).dir;
  // Hold inotifywait still so the kernel's 16-event queue overflows for sure.
  process.kill(watcher, 'SIGSTOP');
  try {
    // Into the watched root itself: a new directory would get no watch while inotifywait is stopped.
    for (let i = 0; i < 200; i++) await writeFile(join(a, `flood-${i}`), `flood ${i}\n`);
  } finally {
    process.kill(watcher, 'SIGCONT');
  }
  await daemon.waitForLine(/INOTIFY: the kernel dropped events \(queue overflow, or a burst as large as the kernel queue\); a full sync follows/);
  for (let i = 0; i < 200; i++) {
    await waitFor(() => holds(join(cluster.node(1).dir, `flood-${i}`), `flood ${i}\n`), `flood-${i} on the peer`, 10_000);
  }
  const overflowSyncs = daemon.lines.filter((line) => line.includes('FULL SYNC (inotify queue overflow)')).length;
  assert.equal(overflowSyncs, 1, 'one full sync for the burst');
});

test('disk full while appending to the queue: logged, then a full sync when space returns', { skip: isRoot ? false : 'needs root to mount a small tmpfs' }, async () => {
  const cluster = await LocalCluster.create({ nodes: 2 });
  cleanups.push(() => cluster.destroy());
  await cluster.startServer(1);
  const queueDir = join(cluster.root, 'small-fs');
  await mkdir(queueDir);
  const mounted = await execa('mount', ['-t', 'tmpfs', '-o', 'size=64k,mode=0700', 'tmpfs', queueDir], { reject: false });
  if (mounted.exitCode !== 0) {
    process.stdout.write(`# skipped: cannot mount a tmpfs here (${String(mounted.stderr).trim()})\n`);
    return;
  }
  cleanups.push(() => execa('umount', ['-l', queueDir], { reject: false }));
  const daemon = DaemonProcess.start(cluster, 0, { args: ['--queue-file', join(queueDir, 'queue')] });
  cleanups.push(() => daemon.stop());
  await daemon.ready();
  // Fill the small filesystem to the last byte.
  const filler = join(queueDir, 'filler');
  await execa('dd', ['if=/dev/zero', `of=${filler}`, 'bs=4k'], { reject: false });
  const a = cluster.node(0).dir;
  for (let i = 0; i < 20; i++) await writeFile(join(a, `during-disk-full-${i}.txt`), `full ${i}\n`);
  await daemon.waitForLine(/cannot append to the queue file .* \(ENOSPC\); \d+ changes held in memory, retrying/);
  await rm(filler);
  await daemon.waitForLine(/writing to the queue file .* works again/);
  for (let i = 0; i < 20; i++) {
    await waitFor(() => holds(join(cluster.node(1).dir, `during-disk-full-${i}.txt`), `full ${i}\n`), `during-disk-full-${i}.txt on the peer`, 10_000);
  }
  assert.match(daemon.log, /FULL SYNC \(the queue file could not be written for a while\)/);
});

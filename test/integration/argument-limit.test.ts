import assert from 'node:assert/strict';
import { mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { waitFor } from '../helpers/wait.js';

const DIRS = 8;
const FILES = 20_000;
const ROUND = 4000;

/** A 200-byte file name, distinct per index. */
function longName(index: number): string {
  const tail = `-${String(index).padStart(6, '0')}.txt`;
  return 'n'.repeat(200 - tail.length) + tail;
}

// 20,000 changed paths of ~220 bytes each are ~4.5 MB of arguments, more than
// Linux's ARG_MAX (2 MiB): `csync2 -cr -- PATHS` must be split into several
// calls, none failing with E2BIG ("Argument list too long").
describe('argument limits', () => {
  let cluster: LocalCluster;
  let daemons: DaemonProcess[] = [];

  before(async () => {
    cluster = await LocalCluster.create({ nodes: 2 });
    // rsync off (DaemonProcess's default), no full sync instead of the batch, batches
    // spaced 5 s apart so the burst lands in few batches; --debug logs every csync2 call.
    const args = ['--num-batched-changes-threshold', '100000', '--check-interval', '5', '--debug'];
    daemons = [0, 1].map((index) => DaemonProcess.start(cluster, index, { args }));
    await Promise.all(daemons.map((daemon) => daemon.ready(60_000)));
  });

  after(async () => {
    await Promise.all(daemons.map((daemon) => daemon.stop()));
    await cluster?.destroy();
  });

  test('20,000 paths of 200-byte names all arrive, no call fails on the argument limit', async () => {
    const a = cluster.node(0).dir;
    const queueFile = join(cluster.root, 'queue-0', 'queue');
    const b = cluster.node(1).dir;
    // The directories exist on both nodes first, so the batch holds 20,000 file paths, not a few directories.
    for (let d = 0; d < DIRS; d++) await mkdir(join(a, `dir-${d}`));
    await waitFor(async () => (await readdir(b)).length === DIRS, 'the directories on node B', 30_000, 100);
    const stage = join(cluster.root, 'stage');
    await mkdir(stage);
    for (let i = 0; i < FILES; i++) await writeFile(join(stage, longName(i)), `${i}\n`);
    const from = daemons[0]?.lines.length ?? 0;
    // In rounds of 4,000, each waited for in node A's queue: one burst of 20,000 can overflow the
    // kernel's inotify queue (16,384 events) on a loaded machine, and the full sync that follows
    // an overflow checks `/` instead of the paths, which would test nothing here.
    const queued = async (): Promise<number> => (await readFile(queueFile)).toString('latin1').split('\0').filter((record) => record.endsWith('.txt')).length;
    for (let round = 0; round < FILES; round += ROUND) {
      for (let i = round; i < round + ROUND; i++) await rename(join(stage, longName(i)), join(a, `dir-${i % DIRS}`, longName(i)));
      await waitFor(async () => (await queued()) >= round + ROUND, `${round + ROUND} renames in node A's queue`, 60_000, 100);
    }

    await waitFor(async () => {
      let count = 0;
      for (let d = 0; d < DIRS; d++) count += (await readdir(join(b, `dir-${d}`))).length;
      return count === FILES;
    }, `all ${FILES} files on node B`, 600_000, 1000);

    const log = daemons.map((daemon) => daemon.log).join('\n');
    assert.doesNotMatch(log, /Argument list too long|E2BIG/);
    const checks = (daemons[0]?.lines.slice(from) ?? []).filter((line) => / -cr -- .*\((\d+) args\)/.test(line));
    const biggest = Math.max(0, ...checks.map((line) => Number(/\((\d+) args\)/.exec(line)?.[1])));
    console.log(`csync2 -cr calls for the burst: ${checks.length}, the longest with ${biggest} arguments`);
    const context = (daemons[0]?.lines.slice(from) ?? []).filter((line) => /FULL SYNC|INOTIFY|LARGE BATCH|PROCESSING QUEUE/.test(line)).join('\n');
    assert.ok(checks.length >= 3, `the paths were split over several csync2 -cr calls (${checks.length}):\n${context}`);
    await waitFor(async () => (await cluster.csync2(0, ['-M'])).exitCode === 2, 'nothing dirty on node A', 120_000, 1000);
    await rm(stage, { recursive: true, force: true });
  });
});

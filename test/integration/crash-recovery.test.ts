import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { after, before, test, type TestContext } from 'node:test';
import { DaemonProcess, type DaemonProcessOptions } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { encodeRecord, splitRecords } from '../../src/queue/records.js';
import { holds, waitFor } from '../helpers/wait.js';

// RECOVERY after a daemon died (its lock file is left): a csync2 -u killed
// mid-way can leave a file marked clean on this node that the peer never got,
// which the start-up full sync (`csync2 -cr /`) cannot see. The files here are
// put in exactly that state on a real cluster: sent once, then removed on the
// peer behind csync2's back (its database still lists them), so only marking
// them dirty again (`csync2 -m`) brings them back to the peer.
let cluster: LocalCluster;
let a: string;
let b: string;
const queue = (): string => join(cluster.root, 'queue-0', 'queue');

before(async () => {
  cluster = await LocalCluster.create({ nodes: 2 });
  await cluster.startServer(1);
  a = cluster.node(0).dir;
  b = cluster.node(1).dir;
  await mkdir(join(cluster.root, 'queue-0'), { recursive: true, mode: 0o700 });
});

after(() => cluster.destroy());

/** Starts node A's daemon, stopped when the test ends, whatever its outcome. */
function startDaemon(t: TestContext, options: DaemonProcessOptions = {}): DaemonProcess {
  const daemon = DaemonProcess.start(cluster, 0, options);
  t.after(() => daemon.stop());
  return daemon;
}

/** Files node A's csync2 holds as sent and clean, missing on the peer. */
async function cleanOnAMissingOnB(dir: string, count: number): Promise<string[]> {
  await mkdir(join(a, dir));
  const paths = Array.from({ length: count }, (_, i) => join(a, dir, `f${i}`));
  for (const [i, path] of paths.entries()) await writeFile(path, `${dir} ${i}\n`);
  for (const args of [['-cr', '/'], ['-u']]) {
    const run = await cluster.csync2(0, args);
    assert.equal(run.exitCode, 0, `csync2 ${args.join(' ')}: ${run.all ?? run.stderr}`);
  }
  assert.ok(await holds(join(b, dir, 'f0'), `${dir} 0\n`), 'the peer got the files once');
  await rm(join(b, dir), { recursive: true });
  // The premise: a full sync of node A does not bring them back.
  for (const args of [['-cr', '/'], ['-u']]) await cluster.csync2(0, args);
  assert.equal(existsSync(join(b, dir)), false, 'csync2 -cr / and -u alone do not send them again');
  return paths;
}

/** The queue file and lock file a daemon killed with these paths queued leaves (PID 1: it surely exists). */
async function leaveDeadDaemon(paths: string[]): Promise<void> {
  await writeFile(queue(), paths.map(encodeRecord).join(''), { mode: 0o600 });
  await writeFile(`${queue()}.lock`, '1\n');
}

test('a dead daemon\'s queue longer than num_lines_until_reset: re-marked in chunks, with a warning, and every file reaches the peer', async (t) => {
  const paths = await cleanOnAMissingOnB('big-queue', 50);
  await leaveDeadDaemon(paths);
  const daemon = startDaemon(t, { args: ['--num-lines-until-reset', '20'] });
  await daemon.ready();
  await waitFor(async () => (await Promise.all(paths.map((path, i) => holds(path.replace(a, b), `big-queue ${i}\n`)))).every(Boolean), 'all 50 files on the peer', 20_000);
  assert.match(daemon.log, /WARN.*RECOVERY: the queue of the previous daemon \(PID 1\) names more than num_lines_until_reset \(20\) paths: re-marking them all with csync2 -m, 20 at a time/);
  assert.match(daemon.log, /RECOVERY: the previous daemon \(PID 1\) did not stop cleanly; sending its 50 last queued paths again \(50 records, re-marked in 3 chunks\)/);
  assert.equal(await daemon.stop(), 0);
});

// A real csync2 does not refuse -m on demand: the fake csync2 (test/fixtures/bin)
// is the real one except that it fails every `csync2 -m` while its marker exists.
test('csync2 -m fails: one warning says so and how to re-mark, the dead queue is kept, the start-up full sync runs', async (t) => {
  const paths = await cleanOnAMissingOnB('mark-fails', 3);
  await leaveDeadDaemon(paths);
  const marker = join(cluster.root, 'fail-mark');
  await writeFile(marker, '');
  const daemon = startDaemon(t, {
    env: { PATH: `${resolve('test/fixtures/bin')}:${process.env.PATH ?? ''}`, FAKE_CSYNC2_FAIL_MARK_MARKER: marker },
  });
  await daemon.ready();
  const warning = await daemon.waitForLine(/RECOVERY: csync2 -m failed/, 1000);
  assert.match(warning, /WARN/);
  assert.match(warning, /csync2 -m failed for 3 of the 3 paths the previous daemon was sending \(failed: .*-m refused.*\); the start-up full sync runs instead/);
  const kept = /the dead queue is kept as (\S+);/.exec(warning)?.[1];
  assert.ok(kept, `the warning names the kept file: ${warning}`);
  assert.match(warning, new RegExp(`run: xargs -0 -r -a ${kept.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} csync2 -N 127\\.0\\.0\\.2 .* -m -- && csync2 .* -u$`));
  assert.ok(daemon.log.indexOf('RECOVERY: csync2 -m failed') < daemon.log.indexOf('FULL SYNC (start-up)'), 'the start-up full sync follows');
  assert.deepEqual(splitRecords(await readFile(kept)).records, paths, 'the kept file names every path');
  assert.deepEqual(readdirSync(join(cluster.root, 'queue-0')).filter((name) => name.startsWith('queue.unmarked-')).length, 1);
  // What the warning tells the admin to do, once csync2 -m works again, brings the files to the peer.
  await rm(marker);
  const marked = await cluster.csync2(0, ['-m', '--', ...splitRecords(await readFile(kept)).records]);
  assert.equal(marked.exitCode, 0);
  await cluster.csync2(0, ['-u']);
  await waitFor(async () => (await Promise.all(paths.map((path, i) => holds(path.replace(a, b), `mark-fails ${i}\n`)))).every(Boolean), 'the 3 files on the peer', 10_000);
});

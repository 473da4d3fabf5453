import assert from 'node:assert/strict';
import { readFileSync, rmSync } from 'node:fs';
import { mkdir, rm, truncate, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { childRunning } from '../helpers/processes.js';
import { useDaemonCluster } from '../helpers/daemon-cluster.js';
import { holds, waitFor } from '../helpers/wait.js';

// Faults on a real two-node cluster: each is logged in one line, the daemon
// keeps running, and the change made meanwhile reaches the peer.
describe('recovery from faults', () => {
  const ctx = useDaemonCluster({
    daemon: (cluster) => ({
      env: {
        // The fake csync2 (test/fixtures/bin) is the real one unless asked to hang.
        PATH: `${resolve('test/fixtures/bin')}:${process.env.PATH ?? ''}`,
        FAKE_CSYNC2_HANG_MARKER: join(cluster.root, 'hang-updates'),
        FAKE_CSYNC2_CRASH_SESSION_MARKER: join(cluster.root, 'crash-session'),
      },
      args: ['--csync2-timeout', '2'],
    }),
  });
  let a: string;
  let b: string;
  const hangMarker = () => join(ctx.cluster.root, 'hang-updates');

  before(() => {
    a = ctx.cluster.node(0).dir;
    b = ctx.cluster.node(1).dir;
  });

  const daemonA = () => ctx.daemons[0] as DaemonProcess;

  test('a csync2 session dies: the peer retries, and its push gets through', async () => {
    // The daemon accepts csync2's connections itself; the fake csync2 kills the next session it serves.
    await writeFile(join(ctx.cluster.root, 'crash-session'), '');
    await writeFile(join(b, 'to-a-after-session-crash.txt'), 'b to a\n');
    await daemonA().waitForLine(/SERVER: csync2 session from 127\.0\.0\.3:\d+ died: killed by SIGKILL/, 10_000);
    await waitFor(() => holds(join(a, 'to-a-after-session-crash.txt'), 'b to a\n'), 'the file on node A', 10_000);
  });

  test('a csync2 call that hangs is ended after its timeout and retried', async () => {
    await writeFile(hangMarker(), '');
    await writeFile(join(a, 'after-hang.txt'), 'hung once\n');
    await daemonA().waitForLine(/update of peer 127\.0\.0\.3 failed: timed out and was ended/, 10_000);
    rmSync(hangMarker());
    await waitFor(() => holds(join(b, 'after-hang.txt'), 'hung once\n'), 'after-hang.txt on the peer', 10_000);
  });

  test('a csync2.lock file: a clear log line and a retry, not a crash', async () => {
    const lock = join(ctx.cluster.etcDir, 'csync2.lock');
    await writeFile(lock, '');
    try {
      await writeFile(join(a, 'while-locked.txt'), 'locked\n');
      await daemonA().waitForLine(/csync2 -cr failed for 1 of 1 paths \(locked: Found .*csync2\.lock\)/, 10_000);
    } finally {
      await rm(lock, { force: true });
    }
    await waitFor(() => holds(join(b, 'while-locked.txt'), 'locked\n'), 'while-locked.txt on the peer', 10_000);
  });

  test('inotifywait is killed: restarted, then a full sync catches what changed meanwhile', async () => {
    const watcher = childRunning(daemonA().pid as number, 'inotifywait');
    assert.ok(watcher, 'node A runs inotifywait');
    process.kill(watcher, 'SIGKILL');
    await writeFile(join(a, 'while-blind.txt'), 'no watcher\n');
    await daemonA().waitForLine(/INOTIFY: inotifywait on .* killed by SIGKILL; restarting in/);
    await waitFor(() => holds(join(b, 'while-blind.txt'), 'no watcher\n'), 'while-blind.txt on the peer', 10_000);
    assert.match(daemonA().log, /FULL SYNC \(inotifywait on .* was restarted\)/);
  });

  test('the queue file is deleted, then truncated, behind the daemon: detected, and nothing is lost', async () => {
    const queue = join(ctx.cluster.root, 'queue-0', 'queue');
    await rm(queue);
    await writeFile(join(a, 'after-queue-deleted.txt'), 'q1\n');
    await daemonA().waitForLine(/queue file .* was deleted or replaced behind the daemon's back/, 10_000);
    await waitFor(() => holds(join(b, 'after-queue-deleted.txt'), 'q1\n'), 'after-queue-deleted.txt on the peer', 10_000);
    await writeFile(join(a, 'into-new-queue.txt'), 'q2\n');
    await waitFor(() => holds(join(b, 'into-new-queue.txt'), 'q2\n'), 'into-new-queue.txt on the peer', 10_000);
    assert.ok(readFileSync(queue).length > 0, 'the daemon writes the new queue file');
    await truncate(queue, 0);
    await writeFile(join(a, 'after-queue-truncated.txt'), 'q3\n');
    await daemonA().waitForLine(/queue file .* shrank below the read position/, 10_000);
    await waitFor(() => holds(join(b, 'after-queue-truncated.txt'), 'q3\n'), 'after-queue-truncated.txt on the peer', 10_000);
  });

  test('SIGHUP rereads the configuration; a broken one is refused and the old one stays', async () => {
    const cfg = join(ctx.cluster.etcDir, 'csync2.cfg');
    const good = readFileSync(cfg, 'utf8');
    await writeFile(cfg, `${good}\ngroup broken {\n`);
    process.kill(daemonA().pid as number, 'SIGHUP');
    await daemonA().waitForLine(/reload refused, the old configuration stays in force: .*csync2\.cfg:\d+:\d+: /);
    // csync2 itself cannot run on the broken file: the change waits, retried, until the file is fixed.
    await writeFile(join(a, 'after-bad-reload.txt'), 'still syncing\n');
    await daemonA().waitForLine(/csync2 -cr failed for 1 of 1 paths \(failed: Near line \d+: syntax error\)/, 10_000);
    await writeFile(cfg, good);
    await waitFor(() => holds(join(b, 'after-bad-reload.txt'), 'still syncing\n'), 'after-bad-reload.txt on the peer', 10_000);
    // A good new configuration: excludes *.log from now on.
    await writeFile(cfg, good.replace('  exclude *.tmp;', '  exclude *.tmp;\n  exclude *.log;'));
    process.kill(daemonA().pid as number, 'SIGHUP');
    await daemonA().waitForLine(/CONFIG: reloaded on SIGHUP/);
    await daemonA().waitForLine(/FULL SYNC \(configuration reloaded\)/);
    await mkdir(join(a, 'logs'), { recursive: true });
    await writeFile(join(a, 'logs', 'app.log'), 'excluded now\n');
    await writeFile(join(a, 'logs', 'kept.txt'), 'synced\n');
    await waitFor(() => holds(join(b, 'logs', 'kept.txt'), 'synced\n'), 'logs/kept.txt on the peer', 10_000);
    assert.equal(await holds(join(b, 'logs', 'app.log'), 'excluded now\n'), false, 'app.log is excluded after the reload');
  });

  test('a watched root is removed: waited for, watched again when it returns', async () => {
    await rm(a, { recursive: true, force: true });
    await daemonA().waitForLine(/watched root .* is gone .*waiting for it to return/, 10_000);
    await mkdir(a);
    await writeFile(join(a, 'root-is-back.txt'), 'back\n');
    await daemonA().waitForLine(/INOTIFY: watched root .* is back; watching it again/, 10_000);
    await waitFor(() => holds(join(b, 'root-is-back.txt'), 'back\n'), 'root-is-back.txt on the peer', 10_000);
  });
});

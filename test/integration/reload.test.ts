import assert from 'node:assert/strict';
import { mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { before, describe, test } from 'node:test';
import { DaemonProcess, type DaemonProcessOptions } from '../../src/cluster/daemon-process.js';
import type { LocalCluster } from '../../src/cluster/local-cluster.js';
import { useDaemonCluster } from '../helpers/daemon-cluster.js';
import { commandOf } from '../helpers/processes.js';
import { holds, waitFor } from '../helpers/wait.js';

/** The daemon's direct children that run inotifywait (one per watched root when all is well). */
function inotifywaitChildren(pid: number): number[] {
  const children: number[] = [];
  for (const task of readdirSync(`/proc/${pid}/task`)) {
    try {
      for (const child of readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').trim().split(/\s+/)) {
        if (child && commandOf(Number(child)) === 'inotifywait') children.push(Number(child));
      }
    } catch {
      // the thread ended meanwhile
    }
  }
  return children;
}

/** Waits for a log line matching `pattern` among those logged after line `from`; returns its index. */
async function lineAfter(daemon: DaemonProcess, from: number, pattern: RegExp, timeoutMs = 10_000): Promise<number> {
  return waitFor(() => {
    const index = daemon.lines.findIndex((line, i) => i >= from && pattern.test(line));
    return index === -1 ? undefined : index + 1;
  }, `a log line ${pattern}`, timeoutMs).then((found) => (found as number) - 1);
}

// SIGHUP on a real two-node cluster. The fake inotifywait (test/fixtures/bin/inotifywait-faults)
// is the real one except for the watch limit on one root and a start-up held on demand:
// cases the real binary shows only with a lowered system-wide limit or by chance.
describe('SIGHUP reload', () => {
  const daemonOptions = (cluster: LocalCluster): DaemonProcessOptions => {
    const bin = join(cluster.root, 'fakebin');
    mkdirSync(bin, { recursive: true });
    try {
      symlinkSync(resolve('test/fixtures/bin/inotifywait-faults'), join(bin, 'inotifywait'));
    } catch {
      // made for an earlier node
    }
    return {
      env: {
        PATH: `${bin}:${process.env.PATH ?? ''}`,
        FAKE_INOTIFYWAIT_LIMIT_ROOT: join(cluster.root, 'too-big'),
        FAKE_INOTIFYWAIT_BROKEN_ROOT: join(cluster.root, 'broken-watcher'),
        FAKE_INOTIFYWAIT_HOLD_MARKER: join(cluster.root, 'hold-inotifywait'),
      },
    };
  };
  const ctx = useDaemonCluster({ daemon: (cluster) => daemonOptions(cluster) });
  let a: string;
  let b: string;
  let cfg: string;
  let good: string;
  const daemonA = () => ctx.daemons[0] as DaemonProcess;
  const withInclude = (path: string) => good.replace('  include %data%;', `  include %data%;\n  include ${path};`);

  before(() => {
    a = ctx.cluster.node(0).dir;
    b = ctx.cluster.node(1).dir;
    cfg = join(ctx.cluster.etcDir, 'csync2.cfg');
    good = readFileSync(cfg, 'utf8');
  });

  test('a new include root that does not exist: refused in one line, the old root still syncs', async () => {
    const mark = daemonA().lines.length;
    const missing = join(ctx.cluster.root, 'not-there');
    await writeFile(cfg, withInclude(missing));
    try {
      process.kill(daemonA().pid as number, 'SIGHUP');
      await lineAfter(daemonA(), mark, new RegExp(`reload refused, the old configuration stays in force: include path ${missing} .*does not exist`));
    } finally {
      await writeFile(cfg, good);
    }
    await writeFile(join(a, 'after-missing-root.txt'), 'old root\n');
    await waitFor(() => holds(join(b, 'after-missing-root.txt'), 'old root\n'), 'after-missing-root.txt on the peer', 10_000);
    assert.equal(daemonA().lines.slice(mark).filter((line) => / (ERROR|WARN) /.test(line)).length, 1, daemonA().lines.slice(mark).join('\n'));
    assert.equal(inotifywaitChildren(daemonA().pid as number).length, 1);
  });

  test('the watch limit on a new root: refused in one line, the old watchers stay, the daemon runs on', async () => {
    const mark = daemonA().lines.length;
    const tooBig = join(ctx.cluster.root, 'too-big');
    await mkdir(tooBig, { recursive: true });
    await writeFile(cfg, withInclude(tooBig));
    try {
      process.kill(daemonA().pid as number, 'SIGHUP');
      await lineAfter(daemonA(), mark, /reload refused, the old configuration stays in force: .*fs\.inotify\.max_user_watches/);
    } finally {
      await writeFile(cfg, good);
    }
    await writeFile(join(a, 'after-watch-limit.txt'), 'still watched\n');
    await waitFor(() => holds(join(b, 'after-watch-limit.txt'), 'still watched\n'), 'after-watch-limit.txt on the peer', 10_000);
    assert.equal(daemonA().subprocess.exitCode, null, 'the daemon still runs');
    assert.deepEqual(daemonA().lines.slice(mark).filter((line) => / (ERROR|WARN) /.test(line)).length, 1, daemonA().lines.slice(mark).join('\n'));
    assert.equal(inotifywaitChildren(daemonA().pid as number).length, 1);
  });

  test('inotifywait cannot run on a new root: refused in one line, the old watchers stay', async () => {
    const mark = daemonA().lines.length;
    const broken = join(ctx.cluster.root, 'broken-watcher');
    await mkdir(broken, { recursive: true });
    await writeFile(cfg, withInclude(broken));
    try {
      process.kill(daemonA().pid as number, 'SIGHUP');
      await lineAfter(daemonA(), mark, new RegExp(`reload refused, the old configuration stays in force: inotifywait could not watch ${broken}: .*No such file or directory`));
    } finally {
      await writeFile(cfg, good);
    }
    await writeFile(join(a, 'after-broken-watcher.txt'), 'still watched\n');
    await waitFor(() => holds(join(b, 'after-broken-watcher.txt'), 'still watched\n'), 'after-broken-watcher.txt on the peer', 10_000);
    assert.equal(daemonA().lines.slice(mark).filter((line) => / (ERROR|WARN) /.test(line)).length, 1, daemonA().lines.slice(mark).join('\n'));
    assert.equal(inotifywaitChildren(daemonA().pid as number).length, 1);
  });

  test('two SIGHUPs 20 ms apart: one set of watchers afterwards, and an event is queued once', async () => {
    const mark = daemonA().lines.length;
    const pid = daemonA().pid as number;
    process.kill(pid, 'SIGHUP');
    await new Promise((done) => setTimeout(done, 20));
    process.kill(pid, 'SIGHUP');
    // The second is queued behind the first and runs once it is done.
    const first = await lineAfter(daemonA(), mark, /CONFIG: reloaded on SIGHUP/);
    await lineAfter(daemonA(), first + 1, /CONFIG: reloaded on SIGHUP/);
    await waitFor(() => inotifywaitChildren(pid).length === 1, 'exactly one inotifywait child', 5000)
      .catch((error: Error) => {
        throw new Error(`${error.message}: ${inotifywaitChildren(pid).join(' ')}`);
      });
    const file = join(a, 'after-two-sighups.txt');
    await writeFile(file, 'once\n');
    await waitFor(() => holds(join(b, 'after-two-sighups.txt'), 'once\n'), 'after-two-sighups.txt on the peer', 10_000);
    const queue = readFileSync(join(ctx.cluster.root, 'queue-0', 'queue'), 'utf8').split('\0');
    assert.equal(queue.filter((record) => record === file).length, 1, 'queued once');
  });

  test('SIGHUP during start-up: logged, and the configuration is reread once start-up is done', async () => {
    await daemonA().stop();
    const hold = join(ctx.cluster.root, 'hold-inotifywait');
    await writeFile(hold, '');
    const restarted = DaemonProcess.start(ctx.cluster, 0, daemonOptions(ctx.cluster));
    ctx.daemons[0] = restarted;
    try {
      // The configuration was read; the watchers are held while they set up.
      await restarted.waitForLine(/INOTIFY: setting up watches/);
      await writeFile(cfg, good.replace('  exclude *.tmp;', '  exclude *.tmp;\n  exclude *.log;'));
      process.kill(restarted.pid as number, 'SIGHUP');
      await restarted.waitForLine(/SIGHUP during start-up: the configuration is reread once start-up is done/);
    } finally {
      await rm(hold, { force: true });
    }
    const running = await lineAfter(restarted, 0, / running: watching \d+ root/, 30_000);
    await lineAfter(restarted, running, /CONFIG: reloaded on SIGHUP/);
    await mkdir(join(a, 'logs'), { recursive: true });
    await writeFile(join(a, 'logs', 'app.log'), 'excluded now\n');
    await writeFile(join(a, 'logs', 'kept.txt'), 'synced\n');
    await waitFor(() => holds(join(b, 'logs', 'kept.txt'), 'synced\n'), 'logs/kept.txt on the peer', 10_000);
    assert.equal(await holds(join(b, 'logs', 'app.log'), 'excluded now\n'), false, 'app.log is excluded after the reload');
    await writeFile(cfg, good);
  });
});

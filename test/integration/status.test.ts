import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { execa } from 'execa';
import { CLI_ENTRY } from '../../src/cluster/daemon-process.js';
import type { DaemonStatus } from '../../src/daemon/status-snapshot.js';
import { useDaemonCluster } from '../helpers/daemon-cluster.js';
import { holds, logTails, waitFor } from '../helpers/wait.js';

/** Runs the built CLI's `status` as an admin would. */
async function status(args: string[]): Promise<{ exitCode: number | undefined; stdout: string; stderr: string }> {
  const result = await execa(process.execPath, [CLI_ENTRY, 'status', ...args], { reject: false, stdin: 'ignore', timeout: 20_000 });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

async function statusJson(queue: string): Promise<DaemonStatus> {
  const result = await status(['--queue-file', queue, '--json']);
  assert.equal(result.exitCode, 0, `status --json failed: ${result.stdout}${result.stderr}`);
  return JSON.parse(result.stdout) as DaemonStatus;
}

// Black-box: `inotify-csync status` reads what the running daemon publishes
// next to its queue, on a real two-node cluster.
describe('inotify-csync status', () => {
  const ctx = useDaemonCluster();
  const queueOf = (index: number): string => join(ctx.cluster.root, `queue-${index}`, 'queue');

  test('a running daemon: state, peers, counters, an idle queue and its watches', async () => {
    const a = ctx.cluster.node(0).dir;
    const b = ctx.cluster.node(1).dir;
    await mkdir(join(a, 'sub'), { recursive: true });
    for (const name of ['one.txt', 'two.txt', 'sub/three.txt']) await writeFile(join(a, name), `${name}\n`);
    for (const name of ['one.txt', 'two.txt', 'sub/three.txt']) await waitFor(() => holds(join(b, name), `${name}\n`), `${name} on the peer`, 5000);

    const snapshot = await waitFor(async () => {
      const s = await statusJson(queueOf(0));
      return s.counters.pathsSynced >= 3 && s.queue.offset === s.queue.size && s.peers.every((peer) => peer.consecutiveFailures === 0) ? s : undefined;
    }, 'the status file to show the synced batch and an idle queue', 10_000, 200);
    assert.ok(snapshot);
    assert.equal(snapshot.state, 'running');
    assert.equal(snapshot.pid, ctx.daemons[0]?.pid);
    assert.equal(snapshot.host, ctx.cluster.node(0).host);
    assert.deepEqual(snapshot.watchedRoots, [a]);
    assert.ok(snapshot.counters.batches >= 1, `batches: ${snapshot.counters.batches}`);
    assert.ok(snapshot.counters.fullSyncs >= 1, 'the start-up full sync is counted');
    // A batch's update can fail for a moment (the peer's csync2 database busy with its own
    // check) and is retried: then the peer's last success comes after that batch.
    const lastBatch = snapshot.counters.lastBatch;
    assert.ok(lastBatch, 'the last batch is shown');
    assert.ok(lastBatch.ok || (snapshot.peers[0]?.lastSuccessAt ?? 0) >= lastBatch.at, `the last batch had errors that were not retried:\n${logTails(ctx.daemons, 30)}`);
    assert.ok(snapshot.queue.size > 0);
    assert.deepEqual(snapshot.peers.map((peer) => peer.name), [ctx.cluster.node(1).host]);
    assert.equal(snapshot.peers[0]?.consecutiveFailures, 0);
    assert.ok(snapshot.peers[0]?.lastSuccessAt !== undefined);
    // The root and sub/: inotifywait holds one watch per directory.
    assert.ok((snapshot.watchCount ?? 0) >= 2, `watchCount: ${snapshot.watchCount}`);

    const human = await status(['--queue-file', queueOf(0)]);
    assert.equal(human.exitCode, 0, human.stderr);
    assert.match(human.stdout, new RegExp(`for host ${ctx.cluster.node(0).host.replace(/\./g, '\\.')}: running, PID ${ctx.daemons[0]?.pid}`));
    assert.match(human.stdout, new RegExp(`peers +${ctx.cluster.node(1).host.replace(/\./g, '\\.')} +ok, last success`));
    assert.match(human.stdout, /0 bytes unread/);
    assert.match(human.stdout, /inotify watch/);
  });

  test('a stopped peer shows consecutive failures; a stopped daemon exits 3', async () => {
    const peer = ctx.daemons[1];
    assert.ok(peer);
    assert.equal(await peer.stop(), 0);
    const stopped = await status(['--queue-file', queueOf(1)]);
    assert.equal(stopped.exitCode, 3, stopped.stdout + stopped.stderr);
    assert.match(stopped.stdout, /^inotify-csync is not running: no status file .*queue\.status\.json$/);

    await writeFile(join(ctx.cluster.node(0).dir, 'while-peer-down.txt'), 'waiting\n');
    const snapshot = await waitFor(async () => {
      const s = await statusJson(queueOf(0));
      return (s.peers[0]?.consecutiveFailures ?? 0) >= 1 ? s : undefined;
    }, 'the peer to show a failure', 20_000, 200);
    assert.ok(snapshot);
    assert.equal(snapshot.state, 'running');
    assert.ok(snapshot.peers[0]?.failingSince !== undefined);
    assert.ok(snapshot.peers[0]?.retryAt !== undefined);
    const human = await status(['--queue-file', queueOf(0)]);
    assert.match(human.stdout, /FAILING since \d\d:\d\d:\d\d, \d+ consecutive failures?/);
  });

  test('a status file left by a dead daemon: exit 3, and --json says why on stderr', async () => {
    const queue = join(ctx.cluster.root, 'dead', 'queue');
    await mkdir(join(ctx.cluster.root, 'dead'), { recursive: true });
    const dead = await execa(process.execPath, ['-e', 'process.stdout.write(String(process.pid))']);
    const snapshot = await statusJson(queueOf(0));
    await writeFile(`${queue}.status.json`, JSON.stringify({ ...snapshot, pid: Number(dead.stdout) }));
    const result = await status(['--queue-file', queue, '--json']);
    assert.equal(result.exitCode, 3);
    assert.equal(result.stdout, '');
    assert.match(result.stderr, new RegExp(`^inotify-csync is not running: its PID ${dead.stdout} has exited \\(stale status file .*\\)$`));
  });

  test('a status file left by a dead daemon whose PID another process has now (PID 1): exit 3, the lock tells', async () => {
    const queue = join(ctx.cluster.root, 'reused', 'queue');
    await mkdir(join(ctx.cluster.root, 'reused'), { recursive: true });
    const snapshot = await statusJson(queueOf(0));
    await writeFile(`${queue}.status.json`, JSON.stringify({ ...snapshot, pid: 1 }));
    await writeFile(`${queue}.lock`, '1\n');
    const result = await status(['--queue-file', queue]);
    assert.equal(result.exitCode, 3, result.stdout);
    assert.equal(result.stdout, `inotify-csync is not running: no daemon holds the lock of ${queue}; PID 1 is another process now (stale status file ${queue}.status.json)`);
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { encodeRecord } from '../../src/queue/records.js';
import { alive, childRunning, commandOf, descendants } from '../helpers/processes.js';
import { diffSnapshots, holds, snapshot, waitFor } from '../helpers/wait.js';

// SIGKILL leaves the daemon no chance to clean up: its children must still
// end (the kernel's parent-death signal), and the next start's full sync must
// bring the peer up to date, including what changed while it was down.
let cluster: LocalCluster;

function argvOf(pid: number): string[] {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
  } catch {
    return [];
  }
}
let restarted: DaemonProcess | undefined;

before(async () => {
  cluster = await LocalCluster.create({ nodes: 2 });
  await cluster.startServer(1);
});

after(async () => {
  await restarted?.stop();
  await cluster.destroy();
});

test('killed with SIGKILL mid-batch and started again: no orphan, every change arrives', async () => {
  const a = cluster.node(0).dir;
  const b = cluster.node(1).dir;
  const first = DaemonProcess.start(cluster, 0);
  await first.ready();
  await mkdir(join(a, 'burst'));
  for (let i = 0; i < 500; i++) await writeFile(join(a, 'burst', `f${i}`), `burst ${i}\n`);
  await first.waitForLine(/PROCESSING QUEUE/);
  const children = descendants(first.pid as number);
  assert.ok(children.length >= 1, `the daemon runs children (inotifywait, csync2 calls): ${children.join(' ')}`);
  process.kill(first.pid as number, 'SIGKILL');
  await first.subprocess;
  await waitFor(() => children.every((pid) => !alive(pid)), `children ${children.join(' ')} of the killed daemon to end`, 5000);

  for (let i = 0; i < 50; i++) await writeFile(join(a, `while-dead-${i}`), `dead ${i}\n`);
  restarted = DaemonProcess.start(cluster, 0);
  await restarted.ready();
  // csync2 may have cleared a dirty entry the peer never received: the dead daemon's queue is sent again.
  assert.match(restarted.log, /RECOVERY: the previous daemon \(PID \d+\) did not stop cleanly; sending its \d+ last queued paths again/);
  await waitFor(async () => diffSnapshots(await snapshot(a), await snapshot(b)).length === 0, 'the peer to match node A', 20_000).catch(async (error: Error) => {
    const diff = diffSnapshots(await snapshot(a), await snapshot(b), 5);
    throw new Error(`${error.message}: ${diff.join('; ')}\nrestarted daemon:\n${restarted?.lines.filter((l) => !l.includes('CONFIG')).join('\n')}`);
  });
});

// After a power loss the lock file names a PID that another service holds on
// every boot (PID 1 always exists): the daemon must start, and still send the
// dead daemon's queue again.
test('a lock file left by a dead daemon whose PID now belongs to another process: started, with RECOVERY', async () => {
  assert.equal(await restarted?.stop(), 0);
  restarted = undefined;
  const a = cluster.node(0).dir;
  const b = cluster.node(1).dir;
  const queue = join(cluster.root, 'queue-0', 'queue');
  await writeFile(join(a, 'queued-before-the-crash'), 'queued\n');
  await writeFile(queue, encodeRecord(join(a, 'queued-before-the-crash')));
  await writeFile(`${queue}.lock`, '1\n');
  restarted = DaemonProcess.start(cluster, 0);
  await restarted.ready();
  assert.match(restarted.log, /RECOVERY: the previous daemon \(PID 1\) did not stop cleanly; sending its 1 last queued paths again/);
  assert.equal(await readFile(`${queue}.lock`, 'utf8'), `${restarted.pid}\n`, 'the lock file names the new daemon');
  await waitFor(() => holds(join(b, 'queued-before-the-crash'), 'queued\n'), 'the queued file on the peer', 10_000);
});

test('killed with SIGKILL while a peer\'s csync2 session and inotifywait run: no child is left', async () => {
  const daemon = restarted ?? DaemonProcess.start(cluster, 0);
  restarted = undefined;
  await daemon.ready();
  const pid = daemon.pid as number;
  // A peer's connection (from its address, with a first line): the daemon runs a real
  // csync2 -i on it, which then waits for the peer's next request.
  const socket = connect({ host: cluster.node(0).host, port: cluster.port, localAddress: cluster.node(1).host });
  socket.on('error', () => {});
  socket.write('CONFIG \n');
  try {
    const session = () => descendants(pid).some((child) => commandOf(child) === 'csync2' && argvOf(child).includes('-i'));
    await waitFor(() => session() && childRunning(pid, 'inotifywait') !== undefined, 'a csync2 -i session and inotifywait under the daemon', 10_000);
    const children = descendants(pid);
    process.kill(pid, 'SIGKILL');
    await daemon.subprocess;
    await waitFor(() => children.every((child) => !alive(child)), 'every child of the killed daemon to end', 5000).catch((error: Error) => {
      throw new Error(`${error.message}: still running ${children.filter(alive).map((child) => `${child} (${commandOf(child)})`).join(', ')}`);
    });
  } finally {
    socket.destroy();
  }
});

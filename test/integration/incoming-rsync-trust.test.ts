import assert from 'node:assert/strict';
import { chmod, copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { findOnPath } from '../../src/daemon/preflight.js';
import { ChildProcesses } from '../../src/process/child-processes.js';
import { RsyncDaemons } from '../helpers/rsync-daemon.js';
import { commandOf } from '../helpers/processes.js';
import { explainTimeouts, holds, logTails, waitFor } from '../helpers/wait.js';

// Node A runs the daemon (with its own csync2 server, so INCOMING would wait for
// a sender's update, up to --max-wait-time 10 s), B a csync2 server. Any local
// user can start a process named rsync inside a watched root; before the fix,
// each of A's checks then waited 10 s (finding 7 of issue 23).
describe("another user's process named rsync in a watched root", () => {
  let cluster: LocalCluster;
  let daemon: DaemonProcess;
  let bin: string;
  const children = new ChildProcesses();

  before(async () => {
    cluster = await LocalCluster.create({ nodes: 2 });
    await cluster.startServer(1);
    daemon = DaemonProcess.start(cluster, 0);
    await daemon.ready();
    explainTimeouts(() => logTails([daemon]));
    // Readable by nobody: a copy of the real rsync binary and a script named rsync.
    bin = await mkdtemp(join(tmpdir(), 'fake-rsync-'));
    await chmod(bin, 0o755);
    await copyFile(findOnPath('rsync') as string, join(bin, 'rsync'));
    await chmod(join(bin, 'rsync'), 0o755);
    await mkdir(join(bin, 'script'));
    await chmod(join(bin, 'script'), 0o755);
    await writeFile(join(bin, 'script', 'rsync'), '#!/bin/sh\nread -r line\n');
    await chmod(join(bin, 'script', 'rsync'), 0o755);
  });

  after(async () => {
    explainTimeouts(undefined);
    await children.stopAll(2000);
    await daemon?.stop();
    await cluster?.destroy();
    if (bin) await rm(bin, { recursive: true, force: true });
  });

  const attackers: Array<[string, () => string[]]> = [
    ['a copy of the rsync binary', () => [join(bin, 'rsync'), '--server', '-logDtpre.iLsfxCIvu', '.', './']],
    ['a script named rsync', () => [join(bin, 'script', 'rsync'), '--server', '-logDtpre.iLsfxCIvu', '.', './']],
    ['the real rsync binary', () => [findOnPath('rsync') as string, '--server', '-logDtpre.iLsfxCIvu', '.', './']],
  ];

  for (const [what, command] of attackers) {
    test(`${what} run by nobody (rsync --server, cwd in the root) holds no check: the write reaches the peer at once`, async (t) => {
      const a = cluster.node(0).dir;
      // setpriv execs the command itself: the PID is the fake rsync's. Its stdin stays open, so it waits.
      const fake = children.start('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', '--', ...command()], { cwd: a, stdin: 'pipe', stdout: 'ignore', stderr: 'ignore', reject: false });
      try {
        await waitFor(() => commandOf(fake.pid as number) === 'rsync', `the fake rsync (PID ${fake.pid}) running as nobody in ${a}`, 5000);
        const from = daemon.lines.length;
        const name = `while-${what.replace(/\W+/g, '-')}.txt`;
        const started = Date.now();
        await writeFile(join(a, name), `${what}\n`);
        await waitFor(() => holds(join(cluster.node(1).dir, name), `${what}\n`), `${name} on the peer`, 30_000, 20);
        const ms = Date.now() - started;
        t.diagnostic(`${name} reached the peer after ${ms} ms`);
        assert.ok(commandOf(fake.pid as number) === 'rsync', 'the fake rsync still ran when the file arrived');
        assert.doesNotMatch(daemon.lines.slice(from).join('\n'), /INCOMING/, 'no INCOMING hold');
        // A hold lasts --max-wait-time (10 s); an unheld write takes well under a second here.
        assert.ok(ms < 5000, `${name} reached the peer after ${ms} ms`);
      } finally {
        fake.kill('SIGKILL');
        await fake;
      }
    });
  }
});

// The hold itself with a real rsync daemon's child: a connection to node A's
// rsync daemon (root, module = A's tree) that has chosen the module and stays
// open. That child is root's rsync, started by an rsync daemon, working in A's tree.
describe("a real rsync daemon's child in a watched root", () => {
  let cluster: LocalCluster;
  let rsyncd: RsyncDaemons;
  let daemon: DaemonProcess;
  let socket: Socket | undefined;

  before(async () => {
    cluster = await LocalCluster.create({ nodes: 2 });
    rsyncd = await RsyncDaemons.start(cluster, [0]);
    await cluster.startServer(1);
    daemon = DaemonProcess.start(cluster, 0, { args: ['--max-wait-time', '10'] });
    await daemon.ready();
    explainTimeouts(() => logTails([daemon]));
  });

  after(async () => {
    explainTimeouts(undefined);
    socket?.destroy();
    await daemon?.stop();
    await rsyncd?.stop();
    await cluster?.destroy();
  });

  test('holds the checks while it runs (INCOMING); the write goes out once it ended', async () => {
    const open = connect(rsyncd.port, cluster.node(0).host);
    socket = open;
    open.on('error', () => {});
    let answer = '';
    open.on('data', (chunk) => {
      answer += String(chunk);
    });
    open.write('@RSYNCD: 31.0\ndata\n');
    await waitFor(() => answer.includes('@RSYNCD: OK'), 'the rsync daemon accepting module data', 10_000, 20);
    const from = daemon.lines.length;
    const name = 'during-delivery.txt';
    await writeFile(join(cluster.node(0).dir, name), 'held\n');
    await daemon.waitForLine(/INCOMING: a peer is writing into this tree with rsync/, 10_000);
    assert.equal(await holds(join(cluster.node(1).dir, name), 'held\n'), false, 'not sent while the delivery runs');
    open.destroy();
    await waitFor(() => holds(join(cluster.node(1).dir, name), 'held\n'), `${name} on the peer after the delivery ended`, 30_000, 50);
    assert.match(daemon.lines.slice(from).join('\n'), /INCOMING/);
  });
});

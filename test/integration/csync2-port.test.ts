import assert from 'node:assert/strict';
import { execa } from 'execa';
import { readFileSync, readlinkSync, readdirSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { DAEMON_ENV } from '../../src/process/node-flags.js';
import { processListensOn } from '../../src/sync/listen-probe.js';
import { runCli } from '../helpers/cli.js';
import { childRunning } from '../helpers/processes.js';
import { holds, waitFor } from '../helpers/wait.js';

/** The LISTEN_* variables in a process's environment as it was started. */
function listenVariables(pid: number): string[] {
  return readFileSync(`/proc/${pid}/environ`, 'utf8').split('\0').filter((entry) => entry.startsWith('LISTEN_'));
}

/** Whether any fd of process `pid` is the socket with this inode. */
function holdsSocket(pid: number, inode: string): boolean {
  return readdirSync(`/proc/${pid}/fd`).some((fd) => {
    try {
      return readlinkSync(`/proc/${pid}/fd/${fd}`) === `socket:[${inode}]`;
    } catch {
      return false;
    }
  });
}

// csync2's port: who holds it when the daemon cannot bind it, and the socket
// systemd holds for it (inotify-csync@.socket), which the daemon serves.
describe("csync2's port", () => {
  let cluster: LocalCluster;
  let work: string;

  before(async () => {
    cluster = await LocalCluster.create({ nodes: 2 });
    work = await mkdtemp(join(tmpdir(), 'inotify-csync-port-'));
  });

  after(async () => {
    await cluster.destroy();
    await rm(work, { recursive: true, force: true });
  });

  test('an unprivileged process holds the port: exit 1 naming its PID, command and uid, and what it could receive', async () => {
    const node = cluster.node(1);
    // An attacker's listener as uid 65534 (nobody), on this node's address and csync2's port.
    const squatter = execa('setpriv', ['--reuid', '65534', '--regid', '65534', '--clear-groups', process.execPath, '-e',
      `require('net').createServer().listen(${cluster.port}, '${node.host}', () => console.log('bound'))`], { reject: false, stdin: 'ignore' });
    try {
      const squatterPid = squatter.pid ?? assert.fail('no PID');
      await waitFor(() => processListensOn(squatterPid, cluster.port), 'the uid 65534 listener', 5000);
      const result = await runCli([...cluster.csync2Args(1), '--queue-file', join(work, 'q-squat', 'queue'), '--disable-rsync'], { env: cluster.env });
      assert.equal(result.exitCode, 1, result.stderr);
      assert.equal(
        result.stderr.trim(),
        `inotify-csync: cannot listen for csync2 peers on ${node.host} port ${cluster.port} (listen EADDRINUSE: address already in use ${node.host}:${cluster.port}): PID ${squatterPid} (node, uid 65534) already listens there: an unprivileged program holds csync2's port and would receive the peers' sessions (with nossl, the group key); end it (kill ${squatterPid}) and find out why it runs, then start inotify-csync again`,
      );
    } finally {
      squatter.kill('SIGTERM');
      await squatter;
    }
  });

  // systemd-socket-activate (systemd's own tool) passes a socket as systemd does
  // for inotify-csync@.socket, and execs the daemon at the first connection.
  const activate = (address: string, port: number): string[] => [
    'systemd-socket-activate', '--listen', `${address}:${port}`, '--fdname', 'csync2',
    ...Object.entries({ ...process.env, ...DAEMON_ENV, ...cluster.env }).flatMap(([name, value]) => ['-E', `${name}=${value ?? ''}`]),
  ];

  test('the socket systemd passes is served: a peer\'s update arrives; children see no LISTEN_* and do not hold the socket', async () => {
    const peer = DaemonProcess.start(cluster, 0);
    const activated = DaemonProcess.start(cluster, 1, { launcher: activate(cluster.node(1).host, cluster.port) });
    try {
      await peer.ready();
      // node 0's csync2 -u connects to node 1's port: systemd-socket-activate starts the daemon on it.
      await writeFile(join(cluster.node(0).dir, 'activated.txt'), 'through the passed socket\n');
      await activated.ready();
      await activated.waitForLine(new RegExp(`SERVER: accepting csync2 peers on ${cluster.node(1).host.replace(/\./g, '\\.')}:${cluster.port} \\(the socket systemd holds, fd 3\\)`));
      await waitFor(() => holds(join(cluster.node(1).dir, 'activated.txt'), 'through the passed socket\n'), 'activated.txt on node 1', 20_000);

      const pid = activated.pid ?? assert.fail('no PID');
      assert.equal(processListensOn(pid, cluster.port), true, 'the daemon serves the passed socket');
      assert.deepEqual(listenVariables(pid).map((entry) => entry.split('=')[0]).sort(), ['LISTEN_FDNAMES', 'LISTEN_FDS', 'LISTEN_PID'], 'systemd-socket-activate passed them');
      const inotifywait = await waitFor(() => childRunning(pid, 'inotifywait') ?? 0, 'the daemon\'s inotifywait');
      assert.deepEqual(listenVariables(inotifywait), [], 'a child started after the daemon took the socket sees no LISTEN_*');
      const inode = readlinkSync(`/proc/${pid}/fd/3`).replace(/^socket:\[(\d+)\]$/, '$1');
      assert.equal(holdsSocket(inotifywait, inode), false, 'inotifywait does not hold the listening socket');
    } finally {
      await activated.stop();
      await peer.stop();
    }
  });

  test('a passed socket on another port than -p: exit 1 naming both and the fix', async () => {
    const other = cluster.port + 1;
    const activated = DaemonProcess.start(cluster, 1, { launcher: activate(cluster.node(1).host, other) });
    try {
      // The first connection makes systemd-socket-activate start the daemon.
      await waitFor(() => new Promise<boolean>((resolve) => {
        const socket = connect({ host: cluster.node(1).host, port: other }, () => {
          socket.destroy();
          resolve(true);
        }).on('error', () => resolve(false));
      }), 'systemd-socket-activate listening');
      await waitFor(() => activated.subprocess.exitCode !== null, 'the daemon to exit', 20_000);
      assert.equal(activated.subprocess.exitCode, 1, activated.log);
      assert.match(activated.log, new RegExp(`inotify-csync: the socket systemd passed \\(fd 3\\) listens on port ${other}, not csync2's port ${cluster.port}: set ListenStream=${cluster.port} in inotify-csync@\\.socket \\(systemctl edit\\), or -p ${other}$`, 'm'));
    } finally {
      await activated.stop();
    }
  });
});

import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { CLI_ENTRY, DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import type { DaemonStatus } from '../../src/daemon/status-snapshot.js';
import { Attack, attacks } from '../helpers/attacker.js';
import { useDaemonCluster } from '../helpers/daemon-cluster.js';
import { descendants } from '../helpers/processes.js';
import { holds, waitFor } from '../helpers/wait.js';

/** `csync2 -i` sessions a daemon runs now. */
function sessionsOf(pid: number | undefined): number {
  if (pid === undefined) return 0;
  let count = 0;
  for (const child of descendants(pid)) {
    try {
      const argv = readFileSync(`/proc/${child}/cmdline`, 'latin1').split('\0');
      if (argv[0]?.endsWith('csync2') && argv.includes('-i')) count++;
    } catch {
      // ended meanwhile
    }
  }
  return count;
}

// Attacks on a node's csync2 port from loopback addresses, against the real
// listener of two daemons: while each lasts, files must keep arriving both
// ways within the stated deadline (before the fix: 45-59 s, or never).
describe('the csync2 port under attack', () => {
  const ctx = useDaemonCluster({ daemon: () => ({ args: ['--debug'] }) });
  let round = 0;

  /** Writes a file on A and one on B `count` times and returns each delivery's time; fails past `deadlineMs`. */
  async function deliveries(count: number, deadlineMs: number): Promise<number[]> {
    const took: number[] = [];
    round++;
    for (let i = 0; i < count; i++) {
      for (const [from, to] of [[0, 1], [1, 0]] as const) {
        const name = `attack-${round}-${i}-${from}.txt`;
        const started = Date.now();
        await writeFile(join(ctx.cluster.node(from).dir, name), `${name}\n`);
        await waitFor(() => holds(join(ctx.cluster.node(to).dir, name), `${name}\n`), `${name} from node ${from} on node ${to} during the attack`, deadlineMs, 10);
        took.push(Date.now() - started);
      }
    }
    return took;
  }

  async function statusOf(index: number): Promise<DaemonStatus> {
    const result = await execa(process.execPath, [CLI_ENTRY, 'status', '--queue-file', join(ctx.cluster.root, `queue-${index}`, 'queue'), '--json'], { reject: false, stdin: 'ignore' });
    return JSON.parse(String(result.stdout)) as DaemonStatus;
  }

  test('a stranger trickling bytes is closed at once and stalls nothing', async () => {
    const a = ctx.cluster.node(0).host;
    const attack = new Attack({ from: '127.0.0.77', to: a, port: ctx.cluster.port, mode: 'trickle', everyMs: 500, maxMs: 60_000 });
    try {
      await waitFor(() => attack.closedByServer, 'node A to close the stranger\'s connection', 2000);
      const took = await deliveries(4, 3000);
      console.log(`stranger trickling: deliveries ${took.join(' ')} ms`);
    } finally {
      await attack.stop();
    }
    const status = await waitFor(async () => {
      const s = await statusOf(0);
      return (s.server?.refused ?? 0) >= 1 ? s : undefined;
    }, 'status to count the refused connection', 5000, 200);
    assert.ok(status);
    assert.ok(status.server?.lastRefused?.includes('127.0.0.77'), `the refused address is shown: ${JSON.stringify(status.server)}`);
    await ctx.daemons[0]?.waitForLine(/WARN.*127\.0\.0\.77.*not a host of/, 2000);
  });

  test('a peer\'s address trickling bytes, never a whole line, is ended and stalls nothing for long', async () => {
    const a = ctx.cluster.node(0).host;
    const b = ctx.cluster.node(1).host;
    const attack = new Attack({ from: b, to: a, port: ctx.cluster.port, mode: 'trickle', everyMs: 500, maxMs: 60_000 });
    try {
      // A session that has not answered its peer after 2 s is not waited for.
      const took = await deliveries(4, 5000);
      console.log(`peer address trickling: deliveries ${took.join(' ')} ms`);
      await waitFor(() => attack.closedByServer, 'node A to end the trickling connection', 10_000, 50);
      console.log(`trickling connection ended after ${(attack.closedAt ?? 0) - attack.openedAt} ms`);
    } finally {
      await attack.stop();
    }
    await ctx.daemons[0]?.waitForLine(new RegExp(`WARN.*no (whole )?csync2 request`), 2000);
  });

  test('a peer\'s address that identifies itself and then trickles is ended and stalls nothing for long', async () => {
    const a = ctx.cluster.node(0).host;
    const b = ctx.cluster.node(1).host;
    const attack = new Attack({ from: b, to: a, port: ctx.cluster.port, mode: 'hello-then-trickle', helloName: b, everyMs: 500, maxMs: 60_000 });
    try {
      await waitFor(() => attack.received.length > 0 || attack.closedByServer, 'csync2 to answer the HELLO', 8000, 20);
      // Answered, then silent: waited for until 5 s without progress, as a frozen peer is.
      const took = await deliveries(4, 8000);
      console.log(`identified peer address trickling: deliveries ${took.join(' ')} ms`);
    } finally {
      await attack.stop();
    }
  });

  test('ten idle connections from a peer\'s address pile up neither sessions nor delay', async () => {
    const a = ctx.cluster.node(0).host;
    const b = ctx.cluster.node(1).host;
    const idle = attacks(10, { from: b, to: a, port: ctx.cluster.port, mode: 'idle', maxMs: 60_000 });
    let most = 0;
    const sampler = setInterval(() => {
      most = Math.max(most, sessionsOf(ctx.daemons[0]?.pid));
    }, 50);
    try {
      const took = await deliveries(4, 4000);
      console.log(`ten idle connections: deliveries ${took.join(' ')} ms, at most ${most} csync2 -i at once`);
      await waitFor(() => idle.every((attack) => attack.closedByServer), 'node A to close every idle connection', 15_000, 50);
    } finally {
      clearInterval(sampler);
      await Promise.all(idle.map((attack) => attack.stop()));
    }
    assert.ok(most <= 2, `idle connections started no pile of csync2 -i sessions: at most ${most} at once`);
  });
});

// Before, a connection made while the daemon started held its start-up full
// sync, and so systemd's READY=1, for as long as the attack lasted.
describe('the csync2 port under attack during start-up', () => {
  let cluster: LocalCluster;
  const daemons: DaemonProcess[] = [];
  const opened: Attack[] = [];

  before(async () => {
    cluster = await LocalCluster.create({ nodes: 2 });
  });
  after(async () => {
    await Promise.all(opened.map((attack) => attack.stop()));
    await Promise.all(daemons.map((daemon) => daemon.stop()));
    await cluster.destroy();
  });

  test('trickling connections made as the port opens do not hold the start-up full sync', async () => {
    const a = cluster.node(0).host;
    const b = cluster.node(1).host;
    await writeFile(join(cluster.node(0).dir, 'before-start.txt'), 'made before the start\n');
    let attacking = true;
    // Connect, from a stranger's and from the peer's address, the moment the port opens.
    const attacker = (async () => {
      for (const from of ['127.0.0.77', b]) {
        while (attacking) {
          const attack = new Attack({ from, to: a, port: cluster.port, mode: 'trickle', everyMs: 300, maxMs: 40_000 });
          const connected = await new Promise<boolean>((resolve) => {
            attack.socket.once('connect', () => resolve(true));
            attack.socket.once('error', () => resolve(false));
          });
          if (connected) {
            opened.push(attack);
            break;
          }
          await attack.stop();
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
    })();
    const started = Date.now();
    daemons.push(DaemonProcess.start(cluster, 0), DaemonProcess.start(cluster, 1));
    await Promise.all(daemons.map((daemon) => daemon.ready(20_000)));
    const readyAfter = Date.now() - started;
    attacking = false;
    await attacker;
    console.log(`both daemons ready ${readyAfter} ms after start, with ${opened.length} trickling connection(s) made as the port opened`);
    assert.ok(opened.length >= 1, 'the attack connected during start-up');
    await waitFor(() => holds(join(cluster.node(1).dir, 'before-start.txt'), 'made before the start\n'), 'the file made before the start on the peer', 5000);
    assert.ok(readyAfter < 15_000, `start-up took ${readyAfter} ms under the attack`);
  });
});

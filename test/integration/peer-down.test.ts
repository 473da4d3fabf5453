import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { explainTimeouts, holds, logTails, waitFor } from '../helpers/wait.js';

// Three nodes: the daemon runs on A; B and C run their csync2 servers. C's server
// is stopped for 20 s while files change on A: B keeps receiving them, C's updates
// are retried with capped backoff (no log flood), and C gets everything once back.
let cluster: LocalCluster;
let daemon: DaemonProcess;

before(async () => {
  cluster = await LocalCluster.create({ nodes: 3 });
  await cluster.startServer(1);
  await cluster.startServer(2);
  daemon = DaemonProcess.start(cluster, 0);
  await daemon.ready();
  explainTimeouts(() => logTails([daemon]));
});

after(async () => {
  explainTimeouts(undefined);
  await daemon.stop();
  await cluster.destroy();
});

test('a peer down for 20 s: the other keeps receiving, the down one gets every change after', async () => {
  const [a, b, c] = [0, 1, 2].map((i) => cluster.node(i).dir) as [string, string, string];
  const peerC = cluster.node(2).host;
  await cluster.stopServer(2);
  const downSince = Date.now();
  const written: string[] = [];
  let n = 0;
  while (Date.now() - downSince < 20_000) {
    const name = `while-down-${n++}.txt`;
    const started = Date.now();
    await writeFile(join(a, name), `${name}\n`);
    written.push(name);
    await waitFor(() => holds(join(b, name), `${name}\n`), `${name} on the peer that is up`, 2000);
    assert.ok(Date.now() - started < 2000);
    await new Promise((resolve) => setTimeout(resolve, 1000));
  }
  const failureLines = daemon.lines.filter((line) => line.includes(`peer ${peerC}`) && /failed|still failing/.test(line));
  assert.ok(failureLines.length >= 1, 'the failure is logged');
  assert.ok(failureLines.length <= 3, `one line per state change, not one per retry:\n${failureLines.join('\n')}`);
  await cluster.startServer(2);
  for (const name of written) {
    await waitFor(() => holds(join(c, name), `${name}\n`), `${name} on the peer that came back`, 70_000);
  }
  await daemon.waitForLine(new RegExp(`peer ${peerC.replace(/\./g, '\\.')} is reachable again`));
});

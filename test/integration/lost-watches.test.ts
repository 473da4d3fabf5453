import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { holds, waitFor } from '../helpers/wait.js';

// inotifywait -r (3.22) can permanently miss a subdirectory created right after
// its new parent; the daemon audits new directories against the watches the
// kernel holds (/proc/PID/fdinfo) and repairs what was missed.
let cluster: LocalCluster;
let daemons: DaemonProcess[] = [];

before(async () => {
  cluster = await LocalCluster.create({ nodes: 2 });
  daemons = [0, 1].map((index) => DaemonProcess.start(cluster, index));
  await Promise.all(daemons.map((daemon) => daemon.ready()));
});

after(async () => {
  await Promise.all(daemons.map((daemon) => daemon.stop()));
  await cluster.destroy();
});

test('50 nested trees made as fast as possible, written into a second later: every file arrives', async () => {
  const a = cluster.node(0).dir;
  const b = cluster.node(1).dir;
  const deep = (i: number): string => join(`tree-${i}`, 'l1', 'l2', 'l3', 'l4', 'l5');
  // Synchronous mkdir -p of 50 trees: the burst that makes inotifywait -r lose watches.
  for (let i = 0; i < 50; i++) mkdirSync(join(a, deep(i)), { recursive: true });
  await new Promise((resolve) => setTimeout(resolve, 1000)); // the scenario: files are written one second later
  for (let i = 0; i < 50; i++) await writeFile(join(a, deep(i), 'late.txt'), `late ${i}\n`);
  for (let i = 0; i < 50; i++) {
    await waitFor(() => holds(join(b, deep(i), 'late.txt'), `late ${i}\n`), `tree-${i}'s late file on the peer`, 5000);
  }
  const repaired = daemons[0]?.lines.filter((line) => line.includes('missed the new directory')).length ?? 0;
  assert.ok(repaired >= 0);
  process.stdout.write(`# watches repaired by the audit: ${repaired}\n`);
});

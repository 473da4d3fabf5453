import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { explainTimeouts, holds, logTails, waitFor } from '../helpers/wait.js';

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  explainTimeouts(undefined);
  for (const cleanup of cleanups.reverse()) await cleanup();
});

// The daemon as the slow reader: stopped with SIGSTOP (as a swap storm or a paused VM would hold it), it reads
// nothing from inotifywait while files are written. When it runs again, the stall with events waiting after it
// counts as a possible overflow: logged with its cause, then a full sync.
test("a stall of the daemon's own event loop while files are written: logged with its cause, a full sync, every file arrives", async () => {
  const cluster = await LocalCluster.create({ nodes: 2 });
  cleanups.push(() => cluster.destroy());
  await cluster.startServer(1);
  const daemon = DaemonProcess.start(cluster, 0);
  cleanups.push(() => daemon.stop());
  explainTimeouts(() => logTails([daemon], 30));
  await daemon.ready();
  const pid = daemon.pid as number;
  const a = cluster.node(0).dir;
  const b = cluster.node(1).dir;

  process.kill(pid, 'SIGSTOP');
  try {
    const until = Date.now() + 2500;
    for (let i = 0; Date.now() < until || i < 50; i++) await writeFile(join(a, `stalled-${i % 50}.txt`), `written while stalled ${i % 50}\n`);
  } finally {
    process.kill(pid, 'SIGCONT');
  }
  const line = await daemon.waitForLine(/INOTIFY: the daemon's event loop stalled for \d+\.\d s while inotify events were coming in .*; a full sync follows/, 10_000);
  assert.match(line, /WARN/);
  await daemon.waitForLine(/FULL SYNC \(possible inotify queue overflow\)/, 10_000);
  for (let i = 0; i < 50; i++) await waitFor(() => holds(join(b, `stalled-${i}.txt`), `written while stalled ${i}\n`), `stalled-${i}.txt on the peer`, 15_000, 50);
});

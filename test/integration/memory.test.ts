import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { statusKb } from '../../bench/lib/proc.js';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { holds, waitFor } from '../helpers/wait.js';

// The daemon gives a burst's memory back once it is idle again: its RSS
// returns to where it was at rest (issue 7: memory does not grow over a churn).
// DaemonProcess starts it with the shebang's node options and environment.
let cluster: LocalCluster;
let daemon: DaemonProcess;

before(async () => {
  cluster = await LocalCluster.create({ nodes: 2 });
  await cluster.startServer(1);
  daemon = DaemonProcess.start(cluster, 0, { args: ['--debug'] });
  await daemon.ready();
});

after(async () => {
  await daemon?.stop();
  await cluster?.destroy();
});

const rssKb = (pid: number): number => statusKb(pid, 'VmRSS') ?? Number.NaN;

const COLLECTED = /idle: full garbage collection, JS heap now [\d.]+ MB/;

function collections(): string[] {
  return daemon.lines.filter((line) => COLLECTED.test(line));
}

/** When the daemon last finished a batch (its --debug line), in ms since the epoch. */
function lastBatchDoneAt(): number | undefined {
  const done = daemon.lines.filter((l) => /DEBUG \[sync\] batch of \d+ paths done/.test(l));
  const line = done[done.length - 1];
  return line ? Date.parse(line.slice(0, line.indexOf(' '))) : undefined;
}

/** The idle check runs 2 to 7 s after the last batch (IDLE_AFTER_MS, IDLE_CHECK_MS). */
const IDLE_CHECKED_MS = 8000;

test('after a burst of 3,000 files, once idle, the RSS is back near its value at rest', async (t) => {
  const pid = daemon.pid as number;
  const [a, b] = [cluster.node(0).dir, cluster.node(1).dir];
  // At rest: the idle check runs 2 to 7 s after the last batch (the start-up sync) and
  // collects the start-up's own allocations if they were worth it.
  const readyAt = Date.now();
  await waitFor(() => Date.now() - readyAt > 8000, 'the daemon at rest', 10_000, 100);
  const restKb = rssKb(pid);
  const before = collections().length;

  for (let d = 0; d < 30; d++) {
    const dir = join(a, `burst-${d}`);
    await mkdir(dir);
    await Promise.all(Array.from({ length: 100 }, (_, f) => writeFile(join(dir, `f${f}.txt`), `file ${f} of ${d}\n`.repeat(40))));
  }
  await waitFor(() => holds(join(b, 'burst-29', 'f99.txt'), 'file 99 of 29\n'.repeat(40)), 'the burst on B', 60_000, 50);
  const busyKb = rssKb(pid);
  // Once idle, the daemon collects if its heap grew by 512 kB; a burst that grew it less
  // leaves nothing to collect, and the RSS must be near rest all the same.
  await waitFor(() => {
    const done = lastBatchDoneAt();
    return collections().length > before || (done !== undefined && Date.now() - done > IDLE_CHECKED_MS);
  }, `the daemon idle after the burst:\n${daemon.log.slice(-2000)}`, 30_000, 50);
  const afterKb = rssKb(pid);
  const mb = (kb: number): string => (kb / 1024).toFixed(1);
  const collected = collections().length > before ? 'collected' : 'nothing to collect';
  const summary = `RSS at rest ${mb(restKb)} MB, after the burst ${mb(busyKb)} MB, once idle (${collected}) ${mb(afterKb)} MB`;
  t.diagnostic(summary);
  assert.ok(afterKb <= restKb + 2048, `${summary}: more than 2 MB above rest`);
});

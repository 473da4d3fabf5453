import assert from 'node:assert/strict';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { explainTimeouts, holds, logTails, waitFor } from '../helpers/wait.js';

function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

// One `csync2 -u -P PEER` per peer: a peer that is down must cost the others
// nothing, and gets what it missed once it is back.
describe('parallel peers, one of two down', () => {
  let cluster: LocalCluster;
  const daemons: Array<DaemonProcess | undefined> = [];

  before(async () => {
    cluster = await LocalCluster.create({ nodes: 3 });
    for (const index of [0, 1, 2]) daemons[index] = DaemonProcess.start(cluster, index);
    await Promise.all(daemons.map((daemon) => daemon?.ready(60_000)));
    explainTimeouts(() => logTails(daemons.filter((daemon) => daemon !== undefined)));
  });

  after(async () => {
    explainTimeouts(undefined);
    await Promise.all(daemons.map((daemon) => daemon?.stop()));
    await cluster?.destroy();
  });

  /** ms from writing a file on node A until node B holds it. */
  async function latency(name: string): Promise<number> {
    const content = `${name} ${Date.now()}\n`;
    const started = performance.now();
    await writeFile(join(cluster.node(0).dir, name), content);
    await waitFor(() => holds(join(cluster.node(1).dir, name), content), `${name} on node B`, 20_000, 5);
    return performance.now() - started;
  }

  async function latencies(tag: string): Promise<number[]> {
    const out: number[] = [];
    for (let i = 0; i < 7; i++) {
      out.push(await latency(`${tag}-${i}.txt`));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    return out;
  }

  test('node B keeps its latency while node C is down, and C gets what it missed when back', async () => {
    const before = await latencies('up');
    await daemons[2]?.stop();
    daemons[2] = undefined;
    const down = await latencies('down');
    // A change made on C while its daemon was down is pushed by its start-up full sync.
    await writeFile(join(cluster.node(2).dir, 'written-on-c-while-down.txt'), 'from c\n');
    const log = daemons[0]?.log ?? '';
    assert.match(log, /update of peer 127\.0\.0\.4 failed/, 'node A noticed that C is down');
    const slack = Math.max(3 * median(before), median(before) + 500);
    console.log(`latency A->B: up ${before.map(Math.round).join(' ')} ms; C down ${down.map(Math.round).join(' ')} ms`);
    assert.ok(median(down) <= slack, `median latency with C down ${median(down).toFixed(0)} ms stays near ${median(before).toFixed(0)} ms`);

    daemons[2] = DaemonProcess.start(cluster, 2);
    await daemons[2].ready(60_000);
    // A retries C with capped backoff: everything written while C was down arrives.
    for (let i = 0; i < 7; i++) {
      const written = await readFile(join(cluster.node(0).dir, `down-${i}.txt`));
      await waitFor(() => holds(join(cluster.node(2).dir, `down-${i}.txt`), written), `down-${i}.txt on node C`, 120_000, 200);
    }
    for (const index of [0, 1]) {
      await waitFor(() => holds(join(cluster.node(index).dir, 'written-on-c-while-down.txt'), 'from c\n'), `C's own change on node ${index}`, 60_000, 100);
    }
    await daemons[0]?.waitForLine(/peer 127\.0\.0\.4 is reachable again/, 120_000);
  });
});

import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { descendants } from '../helpers/processes.js';
import { useDaemonCluster } from '../helpers/daemon-cluster.js';
import { holds, waitFor } from '../helpers/wait.js';

// A host that is frozen but not gone (a paused VM, a swap storm): its kernel
// still accepts connections, nothing answers. Node B's daemon and all its
// children are stopped with SIGSTOP while A writes; C must keep receiving
// within the bound, and B must get everything once it runs again.
describe('a frozen peer, three nodes with a daemon each', () => {
  const ctx = useDaemonCluster({ nodes: 3, daemon: () => ({ args: ['--debug'] }) });

  test('the other peer keeps its bound while one is frozen; the frozen one catches up after', async () => {
    const a = ctx.cluster.node(0).dir;
    const b = ctx.cluster.node(1).dir;
    const c = ctx.cluster.node(2).dir;
    const daemonB = ctx.daemons[1]?.pid as number;
    const frozen = [daemonB, ...descendants(daemonB)];
    for (const pid of frozen) process.kill(pid, 'SIGSTOP');
    const latencies: number[] = [];
    try {
      for (let i = 0; i < 12; i++) {
        const name = `while-b-frozen-${i}.txt`;
        const started = Date.now();
        await writeFile(join(a, name), `write ${i}\n`);
        // The first write may wait for A's update to B until it is ended for giving no answer (5 s).
        await waitFor(() => holds(join(c, name), `write ${i}\n`), `${name} on node C while B is frozen`, 10_000, 5);
        latencies.push(Date.now() - started);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    } finally {
      for (const pid of frozen) {
        try {
          process.kill(pid, 'SIGCONT');
        } catch {
          // ended meanwhile
        }
      }
    }
    console.log(`A -> C while B was frozen: ${latencies.join(' ')} ms`);
    const sorted = [...latencies].sort((x, y) => x - y);
    assert.ok((sorted[Math.floor(sorted.length / 2)] ?? Infinity) <= 2000, `median latency to C with B frozen stays within 2 s: ${latencies.join(' ')} ms`);
    assert.ok(latencies.filter((ms) => ms > 2000).length <= 2, `only the writes around B's freeze wait for its update to be ended: ${latencies.join(' ')} ms`);
    for (let i = 0; i < 12; i++) {
      await waitFor(() => holds(join(b, `while-b-frozen-${i}.txt`), `write ${i}\n`), `while-b-frozen-${i}.txt on node B after it thawed`, 60_000, 50);
    }
  });
});

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { useDaemonCluster } from '../helpers/daemon-cluster.js';
import { holds, waitFor } from '../helpers/wait.js';

// A busy site never has a quiet queue: the periodic full sync and the queue
// reset must run on time while changes keep coming, and lose nothing.
describe('housekeeping under steady load', () => {
  const ctx = useDaemonCluster({
    daemon: (_cluster, index) => ({ args: index === 0 ? ['--full-sync-interval', '3', '--num-lines-until-reset', '150'] : [] }),
  });

  test('a periodic full sync and a queue reset run while 40 writes a second go on; every file arrives', async () => {
    const a = ctx.cluster.node(0).dir;
    const b = ctx.cluster.node(1).dir;
    const daemonA = ctx.daemons[0];
    assert.ok(daemonA);
    await mkdir(join(a, 'load'), { recursive: true });
    const before = daemonA.lines.length;
    const writes: string[] = [];
    const until = Date.now() + 9000;
    for (let i = 0; Date.now() < until; i++) {
      const name = join('load', `f${i}.txt`);
      await writeFile(join(a, name), `load ${i}\n`);
      writes.push(name);
      await new Promise((resolve) => setTimeout(resolve, 25));
    }
    const during = daemonA.lines.slice(before);
    assert.ok(during.some((line) => /FULL SYNC \(periodic\)/.test(line)), 'a periodic full sync ran while the writes went on');
    assert.ok(during.some((line) => /RESET QUEUE LOG/.test(line)), 'the queue was reset while the writes went on');
    for (const [i, name] of writes.entries()) {
      await waitFor(() => holds(join(b, name), `load ${i}\n`), `${name} on the peer`, 20_000, 20);
    }
  });
});

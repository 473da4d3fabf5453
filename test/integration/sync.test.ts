import assert from 'node:assert/strict';
import { mkdir, rename, rm, writeFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { before, describe, test } from 'node:test';
import { useDaemonCluster } from '../helpers/daemon-cluster.js';
import { gone, holds, waitFor } from '../helpers/wait.js';

// Black-box: the built CLI runs on both nodes of a real two-node csync2 cluster
// on loopback; every change must reach the peer with the same bytes within 2 s,
// with the periodic full sync switched off so that nothing is left to it.
for (const mode of ['async', 'thread'] as const) {
  describe(`two-node cluster, --mode ${mode}`, () => {
    const ctx = useDaemonCluster({ daemon: () => ({ args: ['--mode', mode] }) });
    let a: string;
    let b: string;

    before(() => {
      a = ctx.cluster.node(0).dir;
      b = ctx.cluster.node(1).dir;
    });

    async function writeAndExpect(rel: string, content: string): Promise<void> {
      await mkdir(join(a, rel, '..'), { recursive: true });
      await writeFile(join(a, rel), content);
      await waitFor(() => holds(join(b, rel), content), `${JSON.stringify(rel)} on the peer`);
    }

    test('a new file arrives with the same bytes', () => writeAndExpect('new.txt', 'hello\n'));

    test('a changed file arrives', async () => {
      await writeAndExpect('changed.txt', 'one\n');
      await writeAndExpect('changed.txt', 'two, longer\n');
    });

    test('a deleted file is deleted on the peer', async () => {
      await writeAndExpect('doomed.txt', 'bye\n');
      await rm(join(a, 'doomed.txt'));
      await waitFor(() => gone(join(b, 'doomed.txt')), 'doomed.txt gone from the peer');
    });

    test('a renamed file moves on the peer', async () => {
      await writeAndExpect('before.txt', 'moving\n');
      await rename(join(a, 'before.txt'), join(a, 'after.txt'));
      await waitFor(() => holds(join(b, 'after.txt'), 'moving\n'), 'after.txt on the peer');
      await waitFor(() => gone(join(b, 'before.txt')), 'before.txt gone from the peer');
    });

    test('a renamed directory vanishes under its old name', async () => {
      await writeAndExpect('olddir/inner/file.txt', 'in a dir\n');
      await rename(join(a, 'olddir'), join(a, 'newdir'));
      await waitFor(() => holds(join(b, 'newdir/inner/file.txt'), 'in a dir\n'), 'newdir/inner/file.txt on the peer');
      await waitFor(() => gone(join(b, 'olddir')), 'olddir gone from the peer');
    });

    test('a new deep directory written into at once', async () => {
      const deep = 'd1/d2/d3/d4/d5';
      await mkdir(join(a, deep), { recursive: true });
      await writeFile(join(a, deep, 'deep.txt'), 'deep\n');
      await waitFor(() => holds(join(b, deep, 'deep.txt'), 'deep\n'), 'the deep file on the peer');
    });

    test('an empty new directory', async () => {
      await mkdir(join(a, 'empty-dir'));
      await waitFor(async () => (await readdir(join(b, 'empty-dir'))).length === 0, 'empty-dir on the peer');
    });

    test('names with spaces, a newline, a leading dash and unicode', async () => {
      for (const name of ['with space.txt', 'line\nbreak.txt', '-leading-dash.txt', 'ünïcødé-日本.txt']) {
        await writeAndExpect(name, `name ${name}\n`);
      }
    });

    test('an excluded file does not arrive', async () => {
      await writeFile(join(a, 'scratch.tmp'), 'excluded\n');
      await writeAndExpect('sentinel-after-tmp.txt', 'sentinel\n');
      assert.ok(await gone(join(b, 'scratch.tmp')), 'scratch.tmp must not be on the peer');
    });

    test('a change on the other node comes back', async () => {
      await writeFile(join(b, 'from-b.txt'), 'from b\n');
      await waitFor(() => holds(join(a, 'from-b.txt'), 'from b\n'), 'from-b.txt on node A');
    });
  });
}

import assert from 'node:assert/strict';
import { readFile, utimes, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { LocalCluster } from '../../src/cluster/local-cluster.js';

// csync2 alone, no daemon: what its `auto younger` rule cannot decide. Two
// nodes change one file, each checks it (dirty for the other), both update.
// csync2 compares mtimes in whole seconds: with the same second on both sides
// neither version wins, and both nodes keep their own until one changes again.
// The daemon inherits this rule (README, "Several nodes writing").
let cluster: LocalCluster;

before(async () => {
  cluster = await LocalCluster.create({ nodes: 2 });
  await cluster.startServer(0);
  await cluster.startServer(1);
});

after(async () => {
  await cluster.destroy();
});

async function writeWithMtime(index: number, name: string, text: string, seconds: number): Promise<void> {
  const file = join(cluster.node(index).dir, name);
  await writeFile(file, text);
  await utimes(file, seconds, seconds);
}

test('csync2 alone: versions of one file with the same mtime second on two nodes stay in conflict; a newer second wins', async () => {
  const second = Math.floor(Date.now() / 1000) - 10;
  await writeWithMtime(0, 'both.txt', 'version of node A\n', second);
  await writeWithMtime(1, 'both.txt', 'version of node B\n', second);
  for (const index of [0, 1]) assert.equal((await cluster.csync2(index, ['-cr', '/'])).exitCode, 0);

  const fromA = await cluster.csync2(0, ['-u']);
  const fromB = await cluster.csync2(1, ['-u']);
  assert.notEqual(fromA.exitCode, 0, 'node A cannot send its version');
  assert.notEqual(fromB.exitCode, 0, 'node B cannot send its version');
  assert.match(`${fromA.stdout}${fromA.stderr}`, /Do not auto-resolve conflict: Lost 'younger\/older' test/);
  assert.match(`${fromB.stdout}${fromB.stderr}`, /Do not auto-resolve conflict: Lost 'younger\/older' test/);
  assert.equal(await readFile(join(cluster.node(0).dir, 'both.txt'), 'utf8'), 'version of node A\n');
  assert.equal(await readFile(join(cluster.node(1).dir, 'both.txt'), 'utf8'), 'version of node B\n', 'each node keeps its own version');

  // One second newer on B: B's version wins on both nodes.
  await writeWithMtime(1, 'both.txt', 'newer version of node B\n', second + 1);
  assert.equal((await cluster.csync2(1, ['-cr', '/'])).exitCode, 0);
  const newer = await cluster.csync2(1, ['-u']);
  assert.equal(newer.exitCode, 0, `${newer.stdout}${newer.stderr}`);
  assert.equal(await readFile(join(cluster.node(0).dir, 'both.txt'), 'utf8'), 'newer version of node B\n');
});

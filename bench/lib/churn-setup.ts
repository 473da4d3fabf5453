import { execa } from 'execa';
import { mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalCluster } from '../../src/cluster/local-cluster.js';
import { PROBE_DIR } from './churn-probes.js';
import { sleep } from './stats.js';
import { createTree, type TreeSpec } from './tree.js';

export interface ChurnSetup {
  treeFiles: number;
  createMs: number;
  /** `csync2 -cIr /` per node, ms. */
  initMs: number[];
}

/** Until a file written on every node is on every other node (the system demonstrably syncs). */
export async function waitAllSyncing(roots: string[], timeoutMs: number): Promise<number> {
  const started = performance.now();
  const files = roots.map((root, i) => ({ rel: join(PROBE_DIR, `ready-${i}`), bytes: Buffer.from(`ready ${i} ${Date.now()} ${Math.random()}\n`) }));
  await Promise.all(files.map((f, i) => writeFile(join(roots[i] as string, f.rel), f.bytes)));
  const pending = new Set(roots.flatMap((_, target) => files.map((_, from) => `${from}>${target}`)).filter((k) => k.split('>')[0] !== k.split('>')[1]));
  while (pending.size > 0) {
    if (performance.now() - started > timeoutMs) throw new Error(`not syncing within ${timeoutMs / 1000} s: still missing ${[...pending].join(', ')} (from>to)`);
    for (const key of [...pending]) {
      const [from, target] = key.split('>').map(Number) as [number, number];
      const file = files[from] as { rel: string; bytes: Buffer };
      try {
        if ((await readFile(join(roots[target] as string, file.rel))).equals(file.bytes)) pending.delete(key);
      } catch {
        // not there yet
      }
    }
    await sleep(10);
  }
  return performance.now() - started;
}

/** Files and directories every node starts with: the writers' subtrees, the probe directory, the optional big tree. */
export async function prepareNodes(cluster: LocalCluster, bigTree: TreeSpec | undefined, log: (line: string) => void): Promise<ChurnSetup> {
  const roots = cluster.nodes.map((n) => n.dir);
  for (const root of roots) {
    await mkdir(join(root, PROBE_DIR));
    for (let w = 0; w < roots.length; w++) await mkdir(join(root, `w${w}`));
  }
  let treeFiles = 0;
  const createStarted = performance.now();
  if (bigTree) {
    treeFiles = await createTree(roots, bigTree);
    log(`created ${treeFiles.toLocaleString('en-US')} files (all nodes) in ${((performance.now() - createStarted) / 1000).toFixed(1)} s`);
  }
  const createMs = performance.now() - createStarted;
  // Every node's database knows the identical starting tree, as an admin's `csync2 -cIr /` leaves it.
  const initMs: number[] = [];
  for (let index = 0; index < roots.length; index++) {
    const started = performance.now();
    const result = await cluster.csync2(index, ['-cIr', '/']);
    if (result.exitCode !== 0) throw new Error(`csync2 -cIr / on node ${index} exited ${result.exitCode}: ${String(result.stderr).slice(0, 500)}`);
    initMs.push(performance.now() - started);
  }
  return { treeFiles, createMs, initMs };
}

/**
 * `--wal`: every node's csync2 database in SQLite's WAL journal mode (it stays
 * so; csync2 does not change it). Readers then no longer block a writer, so a
 * session and an update on one node wait less for each other's transactions.
 * Needs the sqlite3 command.
 */
export async function useWalJournal(cluster: LocalCluster, log: (line: string) => void): Promise<void> {
  for (const node of cluster.nodes) {
    for (const name of (await readdir(node.db)).filter((file) => file.endsWith('.db3'))) {
      const result = await execa('sqlite3', [join(node.db, name), 'PRAGMA journal_mode=WAL;'], { reject: false });
      if (result.stdout.trim() !== 'wal') throw new Error(`--wal: sqlite3 could not switch ${name} to WAL (${result.stderr || result.stdout || `exit code ${result.exitCode}`}); is the sqlite3 command installed?`);
    }
  }
  log(`csync2 databases in WAL journal mode on ${cluster.nodes.length} nodes`);
}

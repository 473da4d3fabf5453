import { sleep } from './stats.js';
import { describeEntry, diffSnapshots, type TreeScanner, type TreeSnapshot } from './tree-snapshot.js';

export interface SettleResult {
  /** From `since` until the end of the first scan that found every node's tree identical, ms; undefined: not within the deadline. */
  identicalAfterMs: number | undefined;
  scans: number;
  /** The last scan of every node. */
  trees: TreeSnapshot[];
  /** Where the last scan still differed from node 0's tree: node -> differing paths (first 20, with what each side holds) and their count. */
  differences: Array<{ node: number; count: number; paths: string[] }>;
}

/**
 * Scans every node's tree at most every `intervalMs` until all are identical
 * (content, mode, the set of files and directories) or the deadline passes.
 * The time reported is the end of the identical scan: an upper bound.
 */
export async function waitIdentical(scanners: TreeScanner[], since: number, deadlineMs: number, intervalMs = 500): Promise<SettleResult> {
  let scans = 0;
  for (;;) {
    const started = performance.now();
    const trees = await Promise.all(scanners.map((s) => s.scan()));
    scans++;
    const base = trees[0] as TreeSnapshot;
    const differences = trees.slice(1).map((tree, i) => {
      const paths = diffSnapshots(base, tree);
      const shown = paths.slice(0, 20).map((rel) => `${rel} (node 0: ${describeEntry(base.get(rel))}; node ${i + 1}: ${describeEntry(tree.get(rel))})`);
      return { node: i + 1, count: paths.length, paths: shown };
    }).filter((d) => d.count > 0);
    const now = performance.now();
    if (differences.length === 0) return { identicalAfterMs: now - since, scans, trees, differences };
    if (now - since > deadlineMs) return { identicalAfterMs: undefined, scans, trees, differences };
    await sleep(Math.max(0, started + intervalMs - now));
  }
}

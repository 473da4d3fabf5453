import { describeEntry, sameEntry, type TreeSnapshot } from './tree-snapshot.js';

/** A writer's change that a node does not hold. */
export interface LostChange {
  /** The writer's node. */
  writer: number;
  /** The node whose tree differs. */
  node: number;
  path: string;
  expected: string;
  found: string;
}

export interface VerifyResult {
  /** (path, node) pairs that differ from the writers' models. */
  count: number;
  distinctPaths: number;
  /** Differences on the writer's own node: a change reverted there (the echo bug). */
  revertedOnWriter: number;
  /** Differences on the other nodes: a change lost on its way or undone there. */
  lostOnPeers: number;
  /** Every difference (the report prints the first 20). */
  changes: LostChange[];
}

/** Entries of `snapshot` inside `subtree` (the subtree itself included). */
function within(snapshot: TreeSnapshot, subtree: string): TreeSnapshot {
  const out: TreeSnapshot = new Map();
  for (const [rel, entry] of snapshot) if (rel === subtree || rel.startsWith(`${subtree}/`)) out.set(rel, entry);
  return out;
}

/**
 * Compares each writer's model with its subtree on every node: its own node
 * (a revert there is the echo bug) and each peer (a lost change).
 */
export function verifyModels(models: Array<{ subtree: string; expected: TreeSnapshot }>, trees: TreeSnapshot[]): VerifyResult {
  const changes: LostChange[] = [];
  models.forEach(({ subtree, expected }, writer) => {
    trees.forEach((tree, node) => {
      const actual = within(tree, subtree);
      const paths = new Set([...expected.keys(), ...actual.keys()]);
      for (const path of [...paths].sort()) {
        const want = expected.get(path);
        const got = actual.get(path);
        if (!sameEntry(want, got)) changes.push({ writer, node, path, expected: describeEntry(want), found: describeEntry(got) });
      }
    });
  });
  return {
    count: changes.length,
    distinctPaths: new Set(changes.map((c) => c.path)).size,
    revertedOnWriter: changes.filter((c) => c.node === c.writer).length,
    lostOnPeers: changes.filter((c) => c.node !== c.writer).length,
    changes,
  };
}

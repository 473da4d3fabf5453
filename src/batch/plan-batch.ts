import type { BatchRead } from '../queue/read-batch.js';

export interface BatchThresholds {
  /** A batch with this many distinct paths becomes a full sync. */
  numBatchedChangesThreshold: number;
  /** A batch this large goes through rsync; undefined when rsync is disabled. */
  rsyncThreshold: number | undefined;
}

export type BatchPlan =
  | { kind: 'empty' }
  | { kind: 'full-sync'; distinct: number }
  | { kind: 'rsync'; paths: string[] }
  | { kind: 'csync2'; paths: string[] };

/** The bash script's decision, plus the Python variant's rsync step for large batches. */
export function planBatch(batch: Pick<BatchRead, 'paths' | 'distinct' | 'overLimit'>, thresholds: BatchThresholds): BatchPlan {
  if (batch.distinct === 0) return { kind: 'empty' };
  if (batch.overLimit || batch.distinct >= thresholds.numBatchedChangesThreshold) {
    return { kind: 'full-sync', distinct: batch.distinct };
  }
  if (thresholds.rsyncThreshold !== undefined && batch.distinct >= thresholds.rsyncThreshold) {
    return { kind: 'rsync', paths: batch.paths };
  }
  return { kind: 'csync2', paths: batch.paths };
}

/**
 * Drops every path whose ancestor directory is also in the batch: `csync2 -cr DIR`
 * covers all it holds, so the call gets shorter and does the same work.
 */
export function collapseToAncestors(paths: readonly string[]): string[] {
  const all = new Set(paths);
  return [...all].filter((path) => {
    for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
      if (all.has(path.slice(0, slash))) return false;
    }
    return path === '/' || !all.has('/');
  });
}

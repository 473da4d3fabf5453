import { Histogram, SHORT_BUCKETS, type HistogramSnapshot } from './histogram.js';

/** A checked batch some peers have not been updated for yet. */
interface Undelivered {
  /** When the batch's oldest record was appended to the queue. */
  appendedAt: number;
  /** When its `csync2 -cr` had marked it dirty: an update that starts later sends it. */
  checkedAt: number;
  paths: number;
  waiting: Set<string>;
}

/** Undelivered batches kept while a peer is down; beyond this, the newest two are merged (memory stays bounded). */
const MAX_UNDELIVERED = 4096;

/**
 * Measures the time from a change to every peer updated for it, by watching,
 * never waiting: a batch counts from its oldest record's append to the end of
 * the first successful update of each peer that started after the batch's
 * check (csync2 -u sends whatever is dirty when it starts). It also knows how
 * many checked paths each peer has still to receive.
 */
export class DeliveryTracker {
  private readonly undelivered: Undelivered[] = [];
  private readonly latency = new Histogram(SHORT_BUCKETS);

  /** `peers`: the peers this node updates (none on a host read-only in all its groups). */
  constructor(private readonly peers: () => readonly string[]) {}

  /** A batch's records were checked at `checkedAt`; the oldest was appended at `appendedAt`. */
  batchChecked(appendedAt: number, paths: number, checkedAt: number): void {
    const peers = this.peers();
    if (peers.length === 0) return;
    this.undelivered.push({ appendedAt, checkedAt, paths, waiting: new Set(peers) });
    if (this.undelivered.length > MAX_UNDELIVERED) {
      // Both wait for the same down peer: one later observation instead of two.
      const newest = this.undelivered.pop();
      const previous = this.undelivered.at(-1);
      if (newest && previous) {
        previous.checkedAt = newest.checkedAt;
        previous.paths += newest.paths;
        for (const peer of newest.waiting) previous.waiting.add(peer);
      }
    }
  }

  /** `peer` was updated successfully by an update that started at `startedAt` and ended at `endedAt`. */
  peerUpdated(peer: string, startedAt: number, endedAt: number): void {
    let kept = 0;
    for (const batch of this.undelivered) {
      if (batch.checkedAt <= startedAt) batch.waiting.delete(peer);
      if (batch.waiting.size === 0) this.latency.observe((endedAt - batch.appendedAt) / 1000);
      else this.undelivered[kept++] = batch;
    }
    this.undelivered.length = kept;
  }

  /** Paths checked here that `peer` has not been sent yet (full syncs not counted: their paths are not known). */
  pendingPaths(peer: string): number {
    let paths = 0;
    for (const batch of this.undelivered) if (batch.waiting.has(peer)) paths += batch.paths;
    return paths;
  }

  latencySnapshot(): HistogramSnapshot {
    return this.latency.snapshot();
  }
}

import { Histogram, SHORT_BUCKETS, type HistogramSnapshot } from './histogram.js';

/** A checked batch some peers have not been updated for yet. */
interface Undelivered {
  /** When the batch's oldest record was appended to the queue. */
  appendedAt: number;
  /** When its check had marked it dirty (performance.now()): an update that starts then or later sends it. */
  checkedAt: number;
  paths: number;
  waiting: Set<string>;
  /** When the last of the peers updated so far got it. */
  deliveredAt: number;
}

/** Undelivered batches kept while a peer is down; beyond this, the newest two are merged (memory stays bounded). */
const MAX_UNDELIVERED = 4096;

/**
 * Measures the time from a change to every peer updated for it, by watching,
 * never waiting: a batch counts from its oldest record's append to the end of
 * the first successful update of each peer that started at or after the end of
 * the batch's check (csync2 -u sends whatever is dirty when it starts). It also
 * knows how many checked paths each peer has still to receive.
 */
export class DeliveryTracker {
  private readonly undelivered: Undelivered[] = [];
  private readonly latency = new Histogram(SHORT_BUCKETS);
  /** Each peer's last successful update: it may start before the loop hands over the batch it sent. */
  private readonly lastUpdate = new Map<string, { startedAt: number; endedAt: number }>();

  /** `peers`: the peers this node updates (none on a host read-only in all its groups). */
  constructor(private readonly peers: () => readonly string[]) {}

  /**
   * A batch's records were marked dirty by a check that ended at `checkedAt`
   * (performance.now(), the clock csync2 runs are timed on); the oldest was
   * appended at `appendedAt` (epoch ms).
   */
  batchChecked(appendedAt: number, paths: number, checkedAt: number): void {
    const peers = this.peers();
    if (peers.length === 0) return;
    const batch: Undelivered = { appendedAt, checkedAt, paths, waiting: new Set(), deliveredAt: appendedAt };
    for (const peer of peers) {
      const last = this.lastUpdate.get(peer);
      if (last !== undefined && last.startedAt >= checkedAt) batch.deliveredAt = Math.max(batch.deliveredAt, last.endedAt);
      else batch.waiting.add(peer);
    }
    if (batch.waiting.size === 0) {
      this.latency.observe((batch.deliveredAt - appendedAt) / 1000);
      return;
    }
    this.undelivered.push(batch);
    if (this.undelivered.length > MAX_UNDELIVERED) {
      // Both wait for the same down peer: one later observation instead of two.
      const newest = this.undelivered.pop();
      const previous = this.undelivered.at(-1);
      if (newest && previous) {
        previous.checkedAt = newest.checkedAt;
        previous.paths += newest.paths;
        previous.deliveredAt = Math.max(previous.deliveredAt, newest.deliveredAt);
        for (const peer of newest.waiting) previous.waiting.add(peer);
      }
    }
  }

  /** `peer` was updated successfully by an update that started at `startedAt` (performance.now()) and ended at `endedAt` (epoch ms). */
  peerUpdated(peer: string, startedAt: number, endedAt: number): void {
    this.lastUpdate.set(peer, { startedAt, endedAt });
    let kept = 0;
    for (const batch of this.undelivered) {
      if (batch.checkedAt <= startedAt && batch.waiting.delete(peer)) batch.deliveredAt = Math.max(batch.deliveredAt, endedAt);
      if (batch.waiting.size === 0) this.latency.observe((batch.deliveredAt - batch.appendedAt) / 1000);
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

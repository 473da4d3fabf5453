import { DeliveryTracker } from './delivery-tracker.js';
import { FULL_SYNC_BUCKETS, Histogram, SHORT_BUCKETS, type HistogramSnapshot } from './histogram.js';

/** The histograms `status --json` and the metrics file show. */
export interface SyncHistograms {
  batchDurationSeconds: HistogramSnapshot;
  fullSyncDurationSeconds: HistogramSnapshot;
  /** From a change's append to the queue until every peer was updated for it (see DeliveryTracker). */
  syncLatencySeconds: HistogramSnapshot;
}

/** What the daemon measures of its syncs for metrics, fed by the sync loop's and the engine's callbacks. */
export class SyncMetrics {
  private readonly batchDuration = new Histogram(SHORT_BUCKETS);
  private readonly fullSyncDuration = new Histogram(FULL_SYNC_BUCKETS);
  readonly delivery: DeliveryTracker;

  /** `updatedPeers`: the peers this node sends updates to. */
  constructor(updatedPeers: () => readonly string[]) {
    this.delivery = new DeliveryTracker(updatedPeers);
  }

  synced(info: { kind: 'batch' | 'full-sync'; ms: number }): void {
    (info.kind === 'batch' ? this.batchDuration : this.fullSyncDuration).observe(info.ms / 1000);
  }

  histograms(): SyncHistograms {
    return {
      batchDurationSeconds: this.batchDuration.snapshot(),
      fullSyncDurationSeconds: this.fullSyncDuration.snapshot(),
      syncLatencySeconds: this.delivery.latencySnapshot(),
    };
  }
}

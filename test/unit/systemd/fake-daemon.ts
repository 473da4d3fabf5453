import { EventEmitter } from 'node:events';
import type { DaemonEvents, DaemonState } from '../../../src/daemon/daemon.js';
import type { DaemonStatus } from '../../../src/daemon/status-snapshot.js';
import { FULL_SYNC_BUCKETS, Histogram, SHORT_BUCKETS } from '../../../src/metrics/histogram.js';

/** A snapshot with every field set, for formatting and notifier tests. */
export function sampleStatus(overrides: Partial<DaemonStatus> = {}): DaemonStatus {
  const now = Date.now();
  return {
    pid: process.pid,
    version: '0.1.0',
    host: 'host1',
    state: 'running',
    startedAt: now - 300_000,
    updatedAt: now - 1000,
    watchedRoots: ['/srv/www'],
    queue: { file: '/var/lib/inotify-csync/host1.queue', size: 120, offset: 120, linesRead: 7, appended: 7 },
    counters: {
      batches: 3,
      pathsSynced: 7,
      fullSyncs: 1,
      resets: 0,
      events: 9,
      overflows: 0,
      lastBatch: { at: now - 12_000, paths: 3, ms: 400, ok: true },
      lastFullSync: { at: now - 290_000, ms: 2100, ok: true, reason: 'start-up' },
    },
    peers: [
      { name: 'host2', readOnly: false, lastSuccessAt: now - 12_000, consecutiveFailures: 0, up: true, pendingPaths: 0 },
      { name: 'host3', readOnly: false, lastSuccessAt: now - 200_000, consecutiveFailures: 4, retryAt: now + 8000, failingSince: now - 60_000, lastError: 'connection refused', up: false, pendingPaths: 3 },
    ],
    histograms: {
      batchDurationSeconds: new Histogram(SHORT_BUCKETS).snapshot(),
      fullSyncDurationSeconds: new Histogram(FULL_SYNC_BUCKETS).snapshot(),
      syncLatencySeconds: new Histogram(SHORT_BUCKETS).snapshot(),
    },
    ...overrides,
  };
}

/** Stands in for the Daemon: the same events, a settable state and snapshot. */
export class FakeDaemon extends EventEmitter<DaemonEvents> {
  state: DaemonState = 'starting';
  status: DaemonStatus = sampleStatus({ state: 'starting', counters: { batches: 0, pathsSynced: 0, fullSyncs: 0, resets: 0, events: 0, overflows: 0 } });

  snapshot(): DaemonStatus {
    return { ...this.status, state: this.state, updatedAt: Date.now() };
  }

  become(state: DaemonState): void {
    this.state = state;
    this.emit('state', state);
  }
}

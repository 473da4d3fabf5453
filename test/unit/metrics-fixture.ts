import type { DaemonStatus } from '../../src/daemon/status-snapshot.js';

/** A snapshot with fixed times and counts: the metrics text it gives is known to the byte. */
export function fixedStatus(): DaemonStatus {
  return {
    pid: 4242,
    version: '0.1.0',
    host: 'host1',
    state: 'running',
    startedAt: 1_764_000_000_000,
    updatedAt: 1_764_000_300_500,
    watchedRoots: ['/srv/www'],
    watchCount: 812,
    watchLimit: 524_288,
    queue: { file: '/var/lib/inotify-csync/host1.queue', size: 4096, offset: 3584, linesRead: 40, appended: 44 },
    counters: { batches: 5, pathsSynced: 37, fullSyncs: 2, resets: 0, events: 120, overflows: 1 },
    peers: [
      { name: 'host2', readOnly: false, lastSuccessAt: 1_764_000_299_250, consecutiveFailures: 0, up: true, pendingPaths: 0 },
      { name: 'we"ird\\host', readOnly: true, consecutiveFailures: 3, retryAt: 1_764_000_304_000, failingSince: 1_764_000_200_000, lastError: 'connection refused', up: false, pendingPaths: 12 },
    ],
    histograms: {
      batchDurationSeconds: { buckets: [{ le: 0.05, count: 1 }, { le: 0.5, count: 4 }, { le: 2, count: 5 }], count: 5, sum: 1.75 },
      fullSyncDurationSeconds: { buckets: [{ le: 1, count: 0 }, { le: 10, count: 2 }], count: 2, sum: 7.5 },
      syncLatencySeconds: { buckets: [{ le: 0.25, count: 2 }, { le: 2, count: 3 }], count: 4, sum: 9.125 },
    },
  };
}

import type { SyncHistograms } from '../metrics/sync-metrics.js';
import type { SyncLoopStats } from './sync-loop.js';

/** A peer as `status` shows it. */
export interface PeerStatus {
  name: string;
  readOnly: boolean;
  /** Epoch ms of the last successful update, if any. */
  lastSuccessAt?: number;
  consecutiveFailures: number;
  /** Epoch ms before which no retry is made (backoff). */
  retryAt?: number;
  failingSince?: number;
  lastError?: string;
  /** No failure since the last successful update (a conflict is not a failure: the peer answered). */
  up: boolean;
  /** Paths checked here that this peer has not been updated with yet (full syncs not counted). */
  pendingPaths: number;
}

/** Everything `inotify-csync status` shows; written by the daemon, read by the status command. */
export interface DaemonStatus {
  pid: number;
  version: string;
  host: string;
  state: 'starting' | 'running' | 'draining' | 'stopped';
  startedAt: number;
  /** Epoch ms when this snapshot was taken. */
  updatedAt: number;
  watchedRoots: string[];
  /** Watches held by the inotifywait processes (from /proc), when known. */
  watchCount?: number;
  /** fs.inotify.max_user_watches: the limit the watches count against (per user), when readable. */
  watchLimit?: number;
  queue: {
    file: string;
    /** Bytes in the queue file. */
    size: number;
    /** Reader's byte offset. */
    offset: number;
    /** Records read since the last reset (num_lines_until_reset counts these). */
    linesRead: number;
    /** Records appended since start. */
    appended: number;
  };
  counters: SyncLoopStats & { events: number; overflows: number };
  peers: PeerStatus[];
  /** Durations and the sync latency, for `status --json` and the metrics file. */
  histograms: SyncHistograms;
  /** A full sync is due, and why. */
  fullSyncPending?: string;
  /** The daemon's own memory when the snapshot was taken (children not included). */
  memory?: {
    rssBytes: number;
    /** JavaScript objects in use: growth here, not in RSS alone, would be a leak. */
    heapUsedBytes: number;
  };
}

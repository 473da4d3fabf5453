import type { SyncHistograms, SyncMetrics } from '../metrics/sync-metrics.js';
import type { QueueFile } from '../queue/queue-file.js';
import type { DatabaseBackend } from '../sync/csync2-database.js';
import type { ListenerStats } from '../sync/listener-stats.js';
import type { PeerHealth } from '../sync/peer-health.js';
import { VERSION } from '../version.js';
import type { EventIntake } from '../watch/event-intake.js';
import type { WatchLimitReached } from '../watch/watch-limit-state.js';
import { readMaxUserWatches } from '../watch/watch-limit.js';
import type { SyncLoop, SyncLoopStats } from '../loop/sync-loop.js';

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
  /** csync2's database: an SQLite file, or a PostgreSQL or MariaDB server (`-D pgsql://`, `mysql://`). */
  database?: DatabaseBackend;
  state: 'starting' | 'running' | 'draining' | 'stopped';
  startedAt: number;
  /** Epoch ms when this snapshot was taken. */
  updatedAt: number;
  watchedRoots: string[];
  /** Watches held by the inotifywait processes (from /proc), when known. */
  watchCount?: number;
  /** fs.inotify.max_user_watches: the limit the watches count against (per user), when readable. */
  watchLimit?: number;
  /** Roots where a watch could not be added after start-up (the watch limit): checked on a schedule until watched again. */
  watchLimitReached?: WatchLimitReached[];
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
  /** The csync2 port: connections refused or cut short (absent with --no-server). */
  server?: ListenerStats;
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

/** What a snapshot is taken from: the running daemon's parts (any may not exist yet during start-up). */
export interface StatusSources {
  host: string;
  database?: DatabaseBackend;
  state: DaemonStatus['state'];
  startedAt: number;
  watchedRoots: string[];
  watchCount: number | undefined;
  watchLimitReached?: WatchLimitReached[];
  queue: Pick<QueueFile, 'path' | 'appended' | 'size'>;
  loop: Pick<SyncLoop, 'offset' | 'linesRead' | 'stats' | 'fullSyncPending'> | undefined;
  intake: Pick<EventIntake, 'events' | 'overflows'>;
  peers: readonly PeerHealth[];
  metrics: Pick<SyncMetrics, 'delivery' | 'histograms'>;
  server?: { stats: ListenerStats };
}

/** The status file's content, taken now. */
export function takeStatusSnapshot(from: StatusSources): DaemonStatus {
  const { loop, queue } = from;
  let size = 0;
  try {
    size = queue.size();
  } catch {
    // not open yet
  }
  const usage = process.memoryUsage();
  return {
    pid: process.pid,
    version: VERSION,
    host: from.host,
    ...(from.database ? { database: from.database } : {}),
    state: from.state,
    startedAt: from.startedAt,
    updatedAt: Date.now(),
    watchedRoots: from.watchedRoots,
    watchCount: from.watchCount,
    watchLimit: readMaxUserWatches(),
    watchLimitReached: from.watchLimitReached ?? [],
    queue: {
      file: queue.path,
      size,
      offset: loop?.offset ?? 0,
      linesRead: loop?.linesRead ?? 0,
      appended: queue.appended,
    },
    counters: { ...(loop?.stats ?? { batches: 0, pathsSynced: 0, fullSyncs: 0, resets: 0 }), events: from.intake.events, overflows: from.intake.overflows },
    ...(from.server ? { server: { ...from.server.stats } } : {}),
    peers: from.peers.map((peer) => ({
      name: peer.name,
      readOnly: peer.readOnly,
      lastSuccessAt: peer.lastSuccessAt,
      consecutiveFailures: peer.failures,
      retryAt: peer.failures > 0 ? peer.retryAt : undefined,
      failingSince: peer.failingSince,
      lastError: peer.lastError,
      up: peer.failures === 0,
      pendingPaths: from.metrics.delivery.pendingPaths(peer.name),
    })),
    histograms: from.metrics.histograms(),
    fullSyncPending: loop?.fullSyncPending,
    // An admin's first look when memory is in question (children not included).
    memory: { rssBytes: usage.rss, heapUsedBytes: usage.heapUsed },
  };
}

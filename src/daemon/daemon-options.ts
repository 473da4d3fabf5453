import type { LogFormat } from '../log/logger.js';

/** csync2's own options as the user gave them; the daemon passes them to every csync2 call. */
export interface Csync2Options {
  /** The user's csync2 options, unchanged and in order: passed to every csync2 call. */
  passThrough: string[];
  /** `-N`: this host's name. */
  host?: string;
  /** `-D`: database directory or URL. */
  database?: string;
  /** `-C`: configuration name (`csync2_NAME.cfg`). */
  configName?: string;
  /** `-G`: only these groups. */
  groups?: string[];
  /** `-p`: port. */
  port?: string;
}

export type Mode = 'async' | 'thread';

/** The daemon's settings, checked and with every default applied (the CLI's `resolveOptions` makes them). */
export interface ResolvedOptions {
  config?: string;
  checkIntervalMs: number;
  fullSyncIntervalMs: number;
  numLinesUntilReset: number;
  numBatchedChangesThreshold: number;
  /** undefined when rsync is disabled. */
  rsyncThreshold: number | undefined;
  parallelUpdates: boolean;
  maxWaitMs: number;
  mode: Mode;
  debug: boolean;
  queueFile: string;
  /** Where the metrics go in Prometheus' text format; undefined = no metrics file. */
  metricsFile?: string;
  runServer: boolean;
  logFormat: LogFormat;
  maxParallelPeers: number;
  csync2TimeoutMs: number;
  /** Whole-tree checks (`csync2 -cr /`, `csync2 -x`) only. */
  fullSyncTimeoutMs: number;
  rsyncTarget: string;
  rsyncRsh?: string;
  csync2: Csync2Options & { host: string };
}

/** The SETTINGS line at start-up, in the bash script's names. */
export function settingsLine(options: ResolvedOptions): string {
  return `SETTINGS: check_interval=${options.checkIntervalMs / 1000}s full_sync_interval=${options.fullSyncIntervalMs / 1000}s num_lines_until_reset=${options.numLinesUntilReset} num_batched_changes_threshold=${options.numBatchedChangesThreshold} rsync_threshold=${options.rsyncThreshold ?? 'disabled'} parallel_updates=${options.parallelUpdates ? 1 : 0} max_wait_time=${options.maxWaitMs / 1000}s mode=${options.mode} queue=${options.queueFile}`;
}

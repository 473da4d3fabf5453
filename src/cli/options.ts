import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { Csync2Options, ResolvedOptions } from '../daemon/daemon-options.js';

/** The program's own options as cac returns them (strings until resolved). */
export interface Options {
  /** csync2 configuration file. @default found as csync2 finds it */
  config?: string;
  /** Seconds between queue reads under load. @default 0.5 */
  checkInterval?: string | number;
  /** Seconds between periodic full syncs; 0 = never. @default 3600 */
  fullSyncInterval?: string | number;
  /** Records read before the queue file is reset (then a full sync). @default 200000 */
  numLinesUntilReset?: string | number;
  /** Distinct paths in one batch that make it a full sync. @default 15000 */
  numBatchedChangesThreshold?: string | number;
  /** Distinct paths in one batch that send it through rsync. @default 5000 */
  rsyncThreshold?: string | number;
  /** 1: one `csync2 -u -P PEER` per peer at once; 0: one `csync2 -u`. @default 1 */
  parallelUpdates?: string | number;
  /** Longest a change may wait in the queue, in seconds. @default 10 */
  maxWaitTime?: string | number;
  /** `async` or `thread`. @default 'async' */
  mode?: string;
  /** Never use rsync for large batches. @default false */
  disableRsync?: boolean;
  /** Log debug lines. @default false */
  debug?: boolean;
  /** The rolling queue file. @default /var/lib/inotify-csync/HOST.queue (root) or $XDG_STATE_HOME/inotify-csync/HOST.queue */
  queueFile?: string;
  /** Prometheus text file for node_exporter's textfile collector; none when not given. */
  metricsFile?: string;
  /** false with --no-server: csync2's server is run by systemd or inetd. @default true */
  server?: boolean;
  /** `text` or `json`. @default 'text' */
  logFormat?: string;
  /** Peer updates running at once. @default 8 */
  maxParallelPeers?: string | number;
  /** Seconds a csync2 client call may run before it is ended and retried. @default 600 */
  csync2Timeout?: string | number;
  /** rsync destination template. @default '{host}:{path}' (ssh) */
  rsyncTarget?: string;
  /** rsync's remote shell (`-e`). @default rsync's own (ssh) */
  rsyncRsh?: string;
}

/** Option names (without --) that take a value: needed to split argv before cac sees it. */
export const VALUE_OPTIONS = new Set([
  'config',
  'check-interval',
  'full-sync-interval',
  'num-lines-until-reset',
  'num-batched-changes-threshold',
  'rsync-threshold',
  'parallel-updates',
  'max-wait-time',
  'mode',
  'queue-file',
  'metrics-file',
  'log-format',
  'max-parallel-peers',
  'csync2-timeout',
  'rsync-target',
  'rsync-rsh',
]);

function seconds(name: string, value: string | number | undefined, fallback: number, allowZero: boolean): number {
  if (value === undefined) return fallback * 1000;
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  const valid = String(value).trim() !== '' && Number.isFinite(number) && (allowZero ? number >= 0 : number > 0);
  if (!valid) {
    throw new UsageError(`--${name} ${String(value)}: expected a number of seconds ${allowZero ? '>= 0' : '> 0'} (e.g. --${name} ${fallback})`);
  }
  return Math.round(number * 1000);
}

function count(name: string, value: string | number | undefined, fallback: number, min = 1): number {
  if (value === undefined) return fallback;
  const number = typeof value === 'number' ? value : Number(String(value).trim());
  if (String(value).trim() === '' || !Number.isInteger(number) || number < min) {
    throw new UsageError(`--${name} ${String(value)}: expected a whole number >= ${min} (e.g. --${name} ${fallback})`);
  }
  return number;
}

function choice<T extends string>(name: string, value: string | undefined, allowed: readonly T[], fallback: T): T {
  if (value === undefined) return fallback;
  if (!(allowed as readonly string[]).includes(value)) {
    throw new UsageError(`--${name} ${value}: expected one of ${allowed.join(', ')}`);
  }
  return value as T;
}

/** Where the queue lives when --queue-file is not given: a system path for root, a state directory for others. */
export function defaultQueueFile(host: string, uid = process.getuid?.() ?? 0, env = process.env): string {
  const name = `${host.replace(/[^A-Za-z0-9._-]/g, '_')}.queue`;
  if (uid === 0) return join('/var/lib/inotify-csync', name);
  const state = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'inotify-csync', name);
}

/** Applies defaults and validation; the only place option values are checked. */
export function resolveOptions(options: Options, csync2: Csync2Options, machineHost: string): ResolvedOptions {
  const host = csync2.host ?? machineHost;
  const parallel = options.parallelUpdates === undefined ? '1' : String(options.parallelUpdates).trim();
  if (parallel !== '0' && parallel !== '1') {
    throw new UsageError(`--parallel-updates ${parallel}: expected 1 (one csync2 -u per peer, at once) or 0 (one csync2 -u)`);
  }
  const rsyncThreshold = count('rsync-threshold', options.rsyncThreshold, 5000);
  if (options.queueFile !== undefined && options.queueFile.trim() === '') {
    throw new UsageError('--queue-file: expected a file path (e.g. --queue-file /var/lib/inotify-csync/host1.queue)');
  }
  const metricsFile = options.metricsFile?.trim();
  // node_exporter's textfile collector reads *.prom only: any other name would be written and never scraped.
  if (metricsFile !== undefined && !/[^/]\.prom$/.test(metricsFile)) {
    throw new UsageError(`--metrics-file ${options.metricsFile}: node_exporter's textfile collector reads only files ending in .prom (e.g. --metrics-file /var/lib/prometheus/node-exporter/inotify-csync.prom)`);
  }
  const rsyncTarget = options.rsyncTarget ?? '{host}:{path}';
  if (!/\{(path|relpath|module)\}/.test(rsyncTarget)) {
    throw new UsageError(`--rsync-target ${rsyncTarget}: the template must name the peer's directory with {path}, {relpath} or {module} (e.g. {host}:{path} or rsync://{host}/{module}/)`);
  }
  return {
    config: options.config,
    checkIntervalMs: seconds('check-interval', options.checkInterval, 0.5, false),
    fullSyncIntervalMs: seconds('full-sync-interval', options.fullSyncInterval, 3600, true),
    numLinesUntilReset: count('num-lines-until-reset', options.numLinesUntilReset, 200_000),
    numBatchedChangesThreshold: count('num-batched-changes-threshold', options.numBatchedChangesThreshold, 15_000),
    rsyncThreshold: options.disableRsync ? undefined : rsyncThreshold,
    parallelUpdates: parallel === '1',
    maxWaitMs: seconds('max-wait-time', options.maxWaitTime, 10, false),
    mode: choice('mode', options.mode, ['async', 'thread'] as const, 'async'),
    debug: options.debug ?? false,
    queueFile: options.queueFile ?? defaultQueueFile(host),
    metricsFile,
    runServer: options.server ?? true,
    logFormat: choice('log-format', options.logFormat, ['text', 'json'] as const, 'text'),
    maxParallelPeers: count('max-parallel-peers', options.maxParallelPeers, 8),
    csync2TimeoutMs: seconds('csync2-timeout', options.csync2Timeout, 600, false),
    rsyncTarget,
    rsyncRsh: options.rsyncRsh,
    csync2: { ...csync2, host },
  };
}

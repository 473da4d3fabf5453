import { homedir } from 'node:os';
import { join } from 'node:path';
import { UsageError } from '../errors.js';
import type { Csync2Options, ResolvedOptions } from '../daemon/daemon-options.js';
import { longName, type OptionSpec, type OptionsOf } from './option-table.js';

/** The daemon's own options: the one place each is declared (cac, argv splitting, the Options type and the defaults read it). */
export const DAEMON_OPTIONS = {
  config: { flags: '--config <file>', description: 'csync2 configuration file', shown: 'as csync2 finds it: -C name, $CSYNC2_SYSTEM_DIR, /etc/csync2, /etc' },
  checkInterval: { flags: '--check-interval <seconds>', description: 'Least time between two batches while changes keep coming', default: 0.5 },
  fullSyncInterval: { flags: '--full-sync-interval <seconds>', description: 'Seconds between periodic full syncs, 0 = never', default: 3600 },
  numLinesUntilReset: { flags: '--num-lines-until-reset <n>', description: 'Queue records read before the queue file is reset, then a full sync', default: 200_000 },
  numBatchedChangesThreshold: { flags: '--num-batched-changes-threshold <n>', description: 'Distinct paths in one batch that make it a full sync', default: 15_000 },
  rsyncThreshold: { flags: '--rsync-threshold <n>', description: 'Distinct paths in one batch that send it through rsync first', default: 5000 },
  disableRsync: { flags: '--disable-rsync', description: 'Never use rsync for large batches' },
  rsyncTarget: { flags: '--rsync-target <template>', description: 'rsync destination per peer and include root: {host} {path} {relpath} {module}', default: '{host}:{path}', shown: '{host}:{path}, over ssh' },
  rsyncRsh: { flags: '--rsync-rsh <command>', description: "rsync's remote shell, passed as -e", shown: "rsync's own, ssh" },
  parallelUpdates: { flags: '--parallel-updates <0|1>', description: '1: one csync2 -u -P PEER per peer at once; 0: one csync2 -u', default: '1' },
  maxParallelPeers: { flags: '--max-parallel-peers <n>', description: 'Peer updates running at once', default: 8 },
  maxWaitTime: { flags: '--max-wait-time <seconds>', description: 'Longest a change waits for a busy csync2 server', default: 10 },
  csync2Timeout: { flags: '--csync2-timeout <seconds>', description: 'A csync2 call running longer is ended and retried', default: 600 },
  fullSyncTimeout: { flags: '--full-sync-timeout <seconds>', description: 'A whole-tree check (csync2 -cr /, csync2 -x) running longer is ended and retried with backoff', default: 3600 },
  mode: { flags: '-m, --mode <mode>', description: 'async: read batches on the main loop; thread: in a worker thread', default: 'async' },
  queueFile: { flags: '--queue-file <file>', description: 'The rolling queue file', shown: '/var/lib/inotify-csync/HOST.queue as root, else ~/.local/state/inotify-csync/HOST.queue' },
  metricsFile: { flags: '--metrics-file <file.prom>', description: "Write Prometheus metrics here for node_exporter's textfile collector (atomically, every 5 s and after each sync)" },
  server: { flags: '--no-server', description: "Do not start csync2's server (systemd or inetd runs it)" },
  logFormat: { flags: '--log-format <format>', description: 'text or json', default: 'text' },
  debug: { flags: '--debug', description: 'Log every csync2 call and server line' },
} as const satisfies Record<string, OptionSpec>;

/** The daemon's own options as the command line gives them (text until resolved). */
export type Options = OptionsOf<typeof DAEMON_OPTIONS>;

type Key = keyof typeof DAEMON_OPTIONS;

const flag = (key: Key): string => longName(DAEMON_OPTIONS[key].flags);
const fallbackOf = (key: Key): number => Number((DAEMON_OPTIONS[key] as OptionSpec).default);

function seconds(options: Options, key: Key, allowZero: boolean): number {
  const [name, value, fallback] = [flag(key), options[key], fallbackOf(key)];
  if (value === undefined) return fallback * 1000;
  const number = Number(String(value).trim());
  const valid = String(value).trim() !== '' && Number.isFinite(number) && (allowZero ? number >= 0 : number > 0);
  if (!valid) {
    throw new UsageError(`--${name} ${String(value)}: expected a number of seconds ${allowZero ? '>= 0' : '> 0'} (e.g. --${name} ${fallback})`);
  }
  return Math.round(number * 1000);
}

function count(options: Options, key: Key, min = 1): number {
  const [name, value, fallback] = [flag(key), options[key], fallbackOf(key)];
  if (value === undefined) return fallback;
  const number = Number(String(value).trim());
  if (String(value).trim() === '' || !Number.isInteger(number) || number < min) {
    throw new UsageError(`--${name} ${String(value)}: expected a whole number >= ${min} (e.g. --${name} ${fallback})`);
  }
  return number;
}

function choice<T extends string>(options: Options, key: Key, allowed: readonly T[]): T {
  const value = options[key] ?? (DAEMON_OPTIONS[key] as OptionSpec).default;
  if (!(allowed as readonly unknown[]).includes(value)) {
    throw new UsageError(`--${flag(key)} ${String(value)}: expected one of ${allowed.join(', ')}`);
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
  const parallel = (options.parallelUpdates ?? DAEMON_OPTIONS.parallelUpdates.default).trim();
  if (parallel !== '0' && parallel !== '1') {
    throw new UsageError(`--parallel-updates ${parallel}: expected 1 (one csync2 -u per peer, at once) or 0 (one csync2 -u)`);
  }
  const rsyncThreshold = count(options, 'rsyncThreshold');
  if (options.queueFile !== undefined && options.queueFile.trim() === '') {
    throw new UsageError('--queue-file: expected a file path (e.g. --queue-file /var/lib/inotify-csync/host1.queue)');
  }
  const metricsFile = options.metricsFile?.trim();
  // node_exporter's textfile collector reads *.prom only: any other name would be written and never scraped.
  if (metricsFile !== undefined && !/[^/]\.prom$/.test(metricsFile)) {
    throw new UsageError(`--metrics-file ${options.metricsFile}: node_exporter's textfile collector reads only files ending in .prom (e.g. --metrics-file /var/lib/prometheus/node-exporter/inotify-csync.prom)`);
  }
  const rsyncTarget = options.rsyncTarget ?? DAEMON_OPTIONS.rsyncTarget.default;
  if (!/\{(path|relpath|module)\}/.test(rsyncTarget)) {
    throw new UsageError(`--rsync-target ${rsyncTarget}: the template must name the peer's directory with {path}, {relpath} or {module} (e.g. {host}:{path} or rsync://{host}/{module}/)`);
  }
  return {
    config: options.config,
    checkIntervalMs: seconds(options, 'checkInterval', false),
    fullSyncIntervalMs: seconds(options, 'fullSyncInterval', true),
    numLinesUntilReset: count(options, 'numLinesUntilReset'),
    numBatchedChangesThreshold: count(options, 'numBatchedChangesThreshold'),
    rsyncThreshold: options.disableRsync ? undefined : rsyncThreshold,
    parallelUpdates: parallel === '1',
    maxWaitMs: seconds(options, 'maxWaitTime', false),
    mode: choice(options, 'mode', ['async', 'thread'] as const),
    debug: options.debug ?? false,
    queueFile: options.queueFile ?? defaultQueueFile(host),
    metricsFile,
    runServer: options.server ?? true,
    logFormat: choice(options, 'logFormat', ['text', 'json'] as const),
    maxParallelPeers: count(options, 'maxParallelPeers'),
    csync2TimeoutMs: seconds(options, 'csync2Timeout', false),
    fullSyncTimeoutMs: seconds(options, 'fullSyncTimeout', false),
    rsyncTarget,
    rsyncRsh: options.rsyncRsh,
    csync2: { ...csync2, host },
  };
}

import { readFileSync, unlinkSync } from 'node:fs';
import { lockFilePath, readLockPid } from '../daemon/instance-lock.js';
import type { DaemonStatus } from '../daemon/status-snapshot.js';
import type { Logger } from '../log/logger.js';
import type { DaemonObserver, ObservedDaemon } from './observed-daemon.js';
import { MetricsFile } from '../metrics/metrics-file.js';
import { replaceFile } from './replace-file.js';

/** Where the daemon publishes its status: next to its queue, so `status --queue-file F` finds it. */
export function statusFilePath(queueFile: string): string {
  return `${queueFile}.status.json`;
}

export interface StatusFileOptions {
  queueFile: string;
  log: Logger;
  /** Also write the same snapshot here in Prometheus' text format (--metrics-file). */
  metricsFile?: string;
  /** Rewrite at least this often while running (changes are written at once, throttled). @default 5000 */
  intervalMs?: number;
  /** Least time between two writes caused by events (state, sync, progress). @default 250 */
  minGapMs?: number;
}

/**
 * Publishes the daemon's snapshot for `inotify-csync status`: rewritten
 * atomically (temporary file, then rename) every few seconds and soon after
 * each state change or sync, removed when the daemon stops; the metrics file,
 * when asked for, goes the same way with the same snapshot. It writes only
 * once this process holds the queue's lock, so a second daemon refused at
 * start-up never overwrites or removes the running one's file.
 */
export function attachStatusFile(daemon: ObservedDaemon, options: StatusFileOptions): DaemonObserver {
  const path = statusFilePath(options.queueFile);
  const minGapMs = options.minGapMs ?? 250;
  let written = false;
  let lastWrite = 0;
  let pending: NodeJS.Timeout | undefined;
  let failure: string | undefined;
  const metrics = options.metricsFile === undefined ? undefined : new MetricsFile(options.metricsFile);
  let metricsFailure: string | undefined;

  // One warning per distinct error: a full disk must not fill the journal every 5 s.
  const writeMetrics = (file: MetricsFile, snapshot: DaemonStatus): void => {
    try {
      file.write(snapshot);
      metricsFailure = undefined;
    } catch (error) {
      const kind = failureKind(error);
      if (kind !== metricsFailure) options.log.warn(`cannot write the metrics file ${file.path}: ${(error as Error).message}; make its directory writable for this user, or choose another --metrics-file`);
      metricsFailure = kind;
    }
  };

  const write = (): void => {
    pending = undefined;
    if (daemon.state === 'stopped') return;
    if (readLockPid(lockFilePath(options.queueFile)) !== process.pid) return;
    lastWrite = Date.now();
    const snapshot = daemon.snapshot();
    if (metrics) writeMetrics(metrics, snapshot);
    try {
      // World-readable once complete, as before: the directory (0700 when the daemon makes it) decides
      // who reaches it, and an admin who opens it lets a monitoring user run `status`.
      replaceFile(path, `${JSON.stringify(snapshot, null, 2)}\n`, { mode: 0o644 });
      written = true;
      failure = undefined;
    } catch (error) {
      const kind = failureKind(error);
      if (kind !== failure) options.log.warn(`cannot write the status file ${path}: ${(error as Error).message}`);
      failure = kind;
    }
  };

  // Events come in bursts (a sync, then a state change): one write per gap is enough.
  const soon = (): void => {
    if (pending) return;
    pending = setTimeout(write, Math.max(0, lastWrite + minGapMs - Date.now()));
    pending.unref();
  };

  const remove = (): void => {
    clearInterval(timer);
    clearTimeout(pending);
    pending = undefined;
    metrics?.remove();
    if (!written) return;
    written = false;
    try {
      const current = JSON.parse(readFileSync(path, 'utf8')) as Partial<DaemonStatus>;
      if (current.pid === process.pid) unlinkSync(path);
    } catch {
      // already gone or unreadable: nothing of ours to remove
    }
  };

  const timer = setInterval(write, options.intervalMs ?? 5000);
  timer.unref();
  daemon.on('state', (state) => (state === 'stopped' ? remove() : soon()));
  daemon.on('synced', soon);
  daemon.on('progress', soon);
  return {
    close: async () => remove(),
  };
}

/** The same failure again (ENOSPC, EACCES): the message differs each time, it names the random temporary file. */
function failureKind(error: unknown): string {
  return (error as NodeJS.ErrnoException).code ?? (error as Error).message;
}

/** What `status` finds: the snapshot, or why there is none. */
export type StatusFileRead = { found: true; status: DaemonStatus } | { found: false; reason: string };

/** Reads a status file; a missing or unreadable one is an answer, not an error. */
export function readStatusFile(path: string): StatusFileRead {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    return { found: false, reason: code === 'ENOENT' ? `no status file ${path}` : `cannot read ${path}: ${(error as Error).message}` };
  }
  try {
    const status = JSON.parse(text) as DaemonStatus;
    if (typeof status.pid !== 'number' || typeof status.state !== 'string') return { found: false, reason: `${path} is not an inotify-csync status file` };
    return { found: true, status };
  } catch (error) {
    return { found: false, reason: `${path} is not valid JSON: ${(error as Error).message}` };
  }
}

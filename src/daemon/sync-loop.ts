import { planBatch } from '../batch/plan-batch.js';
import type { BatchReader } from '../batch/batch-reader.js';
import type { Logger } from '../log/logger.js';
import type { QueueFile } from '../queue/queue-file.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../sync/peer-health.js';

/** How often an idle daemon checks that its queue file is still its own. */
const IDLE_CHECK_MS = 5000;
/** No batch for this long means idle (the memory of a busy spell may be given back). */
const IDLE_AFTER_MS = 2000;
/** Records since the first pending one that make a burst worth gathering further (a single change never waits). */
const BURST_RECORDS = 16;
/**
 * A burst has ended once no record came for this long. Under load a writer's
 * pauses (a busy CPU, a collection) reach tens of milliseconds; two 20 ms windows
 * ended a 6,000-file deploy after 1,307 files in a CI run.
 */
const BURST_QUIET_MS = 100;

export interface SyncLoopSettings {
  /** Least time between the starts of two batches while changes keep coming. */
  checkIntervalMs: number;
  /** 0 = never. */
  fullSyncIntervalMs: number;
  numLinesUntilReset: number;
  numBatchedChangesThreshold: number;
  rsyncThreshold: number | undefined;
  /** After the first change of an idle spell, wait this long for the rest of a burst. */
  gatherMs: number;
}

/** Sends a large batch with rsync before csync2 checks it; false when rsync did not deliver it (csync2 then sends it). */
export type LargeBatchSender = (paths: string[]) => Promise<boolean>;

export interface SyncLoopOptions {
  queue: QueueFile;
  reader: BatchReader;
  engine: SyncEngine;
  log: Logger;
  settings: SyncLoopSettings;
  rsync?: LargeBatchSender;
  /** Told after every batch and full sync (status, systemd STATUS=). */
  onSynced?: (info: { kind: 'batch' | 'full-sync'; paths: number; ms: number; ok: boolean }) => void;
  /** Nothing queued and no batch for a while (checked at most every 5 s while idle). */
  onIdle?: () => void;
}

/** Counters and times an admin can read in `status`. */
export interface SyncLoopStats {
  batches: number;
  pathsSynced: number;
  fullSyncs: number;
  resets: number;
  lastBatch?: { at: number; paths: number; ms: number; ok: boolean };
  lastFullSync?: { at: number; ms: number; ok: boolean; reason: string };
}

/**
 * The bash script's main loop, event-driven: it wakes when a record is
 * appended (after a short gathering window), reads only new records, and
 * chooses between a csync2 batch, rsync, a full sync and a queue reset.
 * Nothing is dropped: failed paths and peers are retried with backoff.
 */
export class SyncLoop {
  offset = 0;
  linesRead = 0;
  readonly stats: SyncLoopStats = { batches: 0, pathsSynced: 0, fullSyncs: 0, resets: 0 };
  private stopping = false;
  private firstPendingAt: number | undefined;
  private lastBatchStart = 0;
  private underLoad = false;
  private fullSyncReason: string | undefined;
  private fullSyncFailures = 0;
  private fullSyncRetryAt = 0;
  private fullSyncRequestedAt = 0;
  private lastFullSyncAt = Date.now();
  private readonly retryPaths = new Set<string>();
  private retryPathFailures = 0;
  private retryPathsAt = 0;
  private wakeUp: (() => void) | undefined;
  /** Records appended when the current gathering window was last looked at. */
  private burstMark: { at: number; appended: number; grewAt: number } | undefined;
  private appendedAtFirstPending = 0;

  constructor(private readonly options: SyncLoopOptions) {}

  /** The queue got records: start a batch soon. */
  notifyAppend(): void {
    if (this.firstPendingAt === undefined) {
      this.firstPendingAt = Date.now();
      this.appendedAtFirstPending = this.options.queue.appended - 1;
    }
    this.wakeUp?.();
  }

  /**
   * A burst still pouring in is gathered further, window by window, while
   * records keep coming (none for BURST_QUIET_MS ends it), at most check_interval
   * after its first record. A burst is at least BURST_RECORDS records: one
   * batch for it, which can reach rsync_threshold, instead of a small first
   * batch whose `csync2 -cr DIR` of new directories carries most of the files
   * through csync2 anyway. A single change (a few records) never waits.
   */
  private stillPouringIn(now: number): boolean {
    const { queue, settings } = this.options;
    const first = this.firstPendingAt;
    const mark = this.burstMark;
    this.burstMark = undefined;
    if (first === undefined || now - first >= settings.checkIntervalMs) return false;
    if (queue.appended - this.appendedAtFirstPending < BURST_RECORDS) return false;
    const grewAt = queue.appended > (mark?.appended ?? this.appendedAtFirstPending) ? now : (mark?.grewAt ?? first);
    if (now - grewAt >= BURST_QUIET_MS) return false;
    this.burstMark = { at: now, appended: queue.appended, grewAt };
    return true;
  }

  /**
   * A full sync is needed (start-up, overflow, watcher restart, lost queue
   * records, reset). With `settleMs`, it waits until no such request came for
   * that long (at most 10 s after the first): one full sync per burst of overflows.
   */
  requestFullSync(reason: string, settleMs = 0): void {
    const now = Date.now();
    if (this.fullSyncReason === undefined) {
      this.fullSyncReason = reason;
      this.fullSyncRequestedAt = now;
      this.fullSyncRetryAt = now + settleMs;
    } else if (settleMs > 0) {
      this.fullSyncRetryAt = Math.min(Math.max(this.fullSyncRetryAt, now + settleMs), this.fullSyncRequestedAt + 10_000);
    }
    this.wakeUp?.();
  }

  get fullSyncPending(): string | undefined {
    return this.fullSyncReason;
  }

  stop(): void {
    this.stopping = true;
    this.wakeUp?.();
  }

  async run(): Promise<void> {
    while (!this.stopping) {
      await this.waitForWork();
      if (this.stopping) break;
      try {
        await this.cycle();
      } catch (error) {
        this.options.log.error(`sync cycle failed: ${error instanceof Error ? error.message : String(error)}; retrying`);
        this.requestFullSync('a sync cycle failed');
        this.fullSyncRetryAt = Date.now() + 1000;
      }
    }
  }

  /** When the next cycle should start, in ms from now. */
  private nextDelay(now: number): number {
    const { settings, queue } = this.options;
    // Idle, only a cheap look at the queue file (deleted or truncated behind our back) now and then.
    const times: number[] = [now + Math.max(settings.checkIntervalMs, IDLE_CHECK_MS)];
    if (queue.failing) {
      times.push(now + 1000);
    } else if (this.firstPendingAt !== undefined || queue.pendingCount > 0) {
      // A burst still pouring in is looked at again one window after the last look.
      const gathered = Math.max(this.firstPendingAt ?? now, this.burstMark?.at ?? 0) + settings.gatherMs;
      times.push(this.underLoad ? Math.max(gathered, this.lastBatchStart + settings.checkIntervalMs) : gathered);
    }
    if (this.fullSyncReason !== undefined) times.push(this.fullSyncRetryAt);
    if (this.retryPaths.size > 0) times.push(this.retryPathsAt);
    if (settings.fullSyncIntervalMs > 0) times.push(this.lastFullSyncAt + settings.fullSyncIntervalMs);
    return Math.max(0, Math.min(...times) - now);
  }

  private waitForWork(): Promise<void> {
    const delay = this.nextDelay(Date.now());
    // Always through the timer queue: a loop of resolved promises would starve signals and I/O.
    if (delay === 0) return new Promise((resolve) => setImmediate(resolve));
    return new Promise((resolve) => {
      // A timer fires before the event loop reads pending I/O. After a stall (a loaded
      // machine), inotifywait's waiting lines must reach the queue before the cycle looks
      // at it, or a burst still pouring in would look quiet: resolve one I/O poll later.
      const afterPendingIo = (): void => {
        setImmediate(done);
      };
      let timer = setTimeout(afterPendingIo, delay);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.wakeUp = () => {
        this.wakeUp = undefined;
        // Re-plan: an append during the wait starts the gathering window, it does not cut it short.
        const next = this.stopping ? 0 : this.nextDelay(Date.now());
        if (next === 0) done();
        else {
          clearTimeout(timer);
          timer = setTimeout(afterPendingIo, next);
        }
      };
    });
  }

  private checkQueueFile(): void {
    const { queue, log } = this.options;
    if (queue.replaced()) {
      log.warn(`queue file ${queue.path} was deleted or replaced behind the daemon's back; recreating it, a full sync follows`);
      queue.reopen();
      this.offset = 0;
      this.linesRead = 0;
      this.requestFullSync('the queue file was replaced');
      return;
    }
    if (queue.truncatedBehindUs() || queue.size() < this.offset) {
      log.warn(`queue file ${queue.path} shrank below the read position (${this.offset} bytes) behind the daemon's back; emptying it, a full sync follows`);
      queue.truncate();
      this.offset = 0;
      this.linesRead = 0;
      this.requestFullSync('the queue file was truncated');
    }
  }

  private async cycle(): Promise<void> {
    const { queue, reader, settings, log } = this.options;
    queue.flush();
    this.checkQueueFile();
    const now = Date.now();
    // Housekeeping runs on time under steady load too: a busy site never has a quiet queue.
    if (this.linesRead >= settings.numLinesUntilReset) {
      this.resetQueue();
      return;
    }
    if (settings.fullSyncIntervalMs > 0 && now - this.lastFullSyncAt >= settings.fullSyncIntervalMs && this.fullSyncReason === undefined) {
      this.requestFullSync('periodic');
    }
    // A due full sync goes first, so endless small batches cannot starve it.
    if (this.fullSyncReason !== undefined && now >= this.fullSyncRetryAt) {
      await this.fullSync(this.fullSyncReason);
      return;
    }
    if (queue.size() > this.offset) {
      if (this.stillPouringIn(now)) return;
      this.firstPendingAt = undefined;
      this.lastBatchStart = now;
      const batch = await reader.read(queue.path, this.offset, settings.numBatchedChangesThreshold);
      this.offset = batch.nextOffset;
      this.linesRead += batch.records;
      const paths = this.retryPaths.size > 0 ? [...new Set([...this.retryPaths, ...batch.paths])] : batch.paths;
      this.retryPaths.clear();
      const distinct = batch.overLimit ? batch.distinct : paths.length;
      await this.runBatch(planBatch({ paths, distinct, overLimit: batch.overLimit }, settings), batch.records);
      // Changes that came in while this batch ran mean load: the next batch keeps check_interval's spacing.
      queue.flush();
      this.underLoad = queue.size() > this.offset;
      return;
    }
    this.underLoad = false;
    // Nothing unread (the records that woke the loop may have been emptied away with a truncated file).
    this.firstPendingAt = undefined;
    if (now - (this.stats.lastBatch?.at ?? 0) >= IDLE_AFTER_MS) this.options.onIdle?.();
    if (this.retryPaths.size > 0 && now >= this.retryPathsAt) {
      const paths = [...this.retryPaths];
      this.retryPaths.clear();
      log.info(`PROCESSING QUEUE: retrying ${paths.length} paths whose csync2 check failed`);
      await this.syncPaths(paths);
      return;
    }
  }

  private async runBatch(plan: ReturnType<typeof planBatch>, records: number): Promise<void> {
    const { log } = this.options;
    if (plan.kind === 'empty') return;
    if (plan.kind === 'full-sync') {
      log.info(`LARGE BATCH: ${plan.distinct >= this.options.settings.numBatchedChangesThreshold ? `${plan.distinct}+` : plan.distinct} distinct paths reach num_batched_changes_threshold (${this.options.settings.numBatchedChangesThreshold}); running a full sync instead`);
      await this.fullSync('large batch');
      return;
    }
    if (plan.kind === 'rsync' && this.options.rsync) {
      log.info(`LARGE BATCH: ${plan.paths.length} paths reach rsync_threshold (${this.options.settings.rsyncThreshold}); sending them with rsync`);
      const started = Date.now();
      // rsync's own `csync2 -cr` must not run during a peer's delivery either (INCOMING).
      await this.options.engine.waitUntilQuiet();
      const sent = await this.options.rsync(plan.paths);
      if (!sent) log.warn('rsync did not deliver the batch; csync2 sends it instead');
      log.debug(`rsync step took ${Date.now() - started} ms`);
    }
    log.info(`PROCESSING QUEUE: ${plan.paths.length} paths from ${records} records`);
    await this.syncPaths(plan.paths);
  }

  private async syncPaths(paths: string[]): Promise<void> {
    const started = Date.now();
    const result = await this.options.engine.syncPaths(paths);
    for (const path of result.failedPaths) this.retryPaths.add(path);
    if (result.failedPaths.length > 0) {
      this.retryPathFailures++;
      this.retryPathsAt = Date.now() + backoffDelay(this.retryPathFailures, DEFAULT_BACKOFF);
    } else {
      this.retryPathFailures = 0;
    }
    const ms = Date.now() - started;
    this.stats.batches++;
    this.stats.pathsSynced += paths.length - result.failedPaths.length;
    this.stats.lastBatch = { at: Date.now(), paths: paths.length, ms, ok: result.ok };
    this.options.onSynced?.({ kind: 'batch', paths: paths.length, ms, ok: result.ok });
    this.options.log.debug(`batch of ${paths.length} paths done in ${ms} ms${result.ok ? '' : ' (with errors, retrying)'}`);
  }

  /**
   * RESET QUEUE LOG: the file is emptied and the records not read yet are
   * carried over to its start; a full sync follows (the bash design's), first
   * in line, so whatever happened around the reset is covered.
   */
  private resetQueue(): void {
    const { queue, log } = this.options;
    const carried = queue.resetKeepingTail(this.offset);
    log.info(`RESET QUEUE LOG: ${this.linesRead} records read; emptied ${queue.path}${carried ? ` (${carried} bytes not read yet carried over)` : ''}, then a full sync`);
    this.offset = 0;
    this.linesRead = 0;
    this.stats.resets++;
    this.requestFullSync('after queue reset');
  }

  /** Moves the read position past records a successful full sync covered, counting them toward the reset. */
  private async skipCovered(coveredUpTo: number): Promise<void> {
    const { queue, reader } = this.options;
    if (coveredUpTo <= this.offset || queue.size() < coveredUpTo || queue.replaced() || queue.truncatedBehindUs()) return;
    const skipped = await reader.read(queue.path, this.offset, 0, coveredUpTo);
    this.offset = skipped.nextOffset;
    this.linesRead += skipped.records;
  }

  /** FULL SYNC: `csync2 -cr /` and updates (or `-x`); on failure it is retried with backoff. */
  async fullSync(reason: string): Promise<boolean> {
    const { log, engine } = this.options;
    log.info(`FULL SYNC (${reason})`);
    this.fullSyncReason = undefined;
    const started = Date.now();
    // Changes queued before the check starts are covered by it: they need no batch of their own.
    this.options.queue.flush();
    const coveredUpTo = this.options.queue.size();
    const { checked: ok } = await engine.fullSync();
    if (ok) await this.skipCovered(coveredUpTo);
    const ms = Date.now() - started;
    this.lastFullSyncAt = Date.now();
    this.stats.fullSyncs++;
    this.stats.lastFullSync = { at: Date.now(), ms, ok, reason };
    this.options.onSynced?.({ kind: 'full-sync', paths: 0, ms, ok });
    if (ok) {
      this.fullSyncFailures = 0;
      log.info(`FULL SYNC done in ${(ms / 1000).toFixed(1)} s`);
    } else {
      this.fullSyncFailures++;
      this.fullSyncReason = reason.startsWith('retry: ') ? reason : `retry: ${reason}`;
      // Usually files changing under csync2's feet: retried within seconds, not minutes.
      this.fullSyncRetryAt = Date.now() + Math.min(5000, backoffDelay(this.fullSyncFailures, DEFAULT_BACKOFF));
      log.warn(`FULL SYNC finished with errors after ${(ms / 1000).toFixed(1)} s; the full sync is retried`);
    }
    return ok;
  }
}

import { planBatch, type BatchPlan } from '../batch/plan-batch.js';
import type { BatchReader } from '../batch/batch-reader.js';
import type { Logger } from '../log/logger.js';
import { QueueCursor } from '../queue/queue-cursor.js';
import type { QueueFile } from '../queue/queue-file.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import { BurstGate } from './burst-gate.js';
import { FullSyncSchedule, type FullSyncReport } from './full-sync-schedule.js';
import { PathRetry } from './path-retry.js';

/** How often an idle daemon checks that its queue file is still its own. */
const IDLE_CHECK_MS = 5000;
/** No batch for this long means idle (the memory of a busy spell may be given back). */
const IDLE_AFTER_MS = 2000;
/** A cycle that threw is followed by a full sync this much later. */
const CYCLE_FAILURE_RETRY_MS = 1000;

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

export interface SyncLoopOptions {
  queue: QueueFile;
  reader: BatchReader;
  engine: Pick<SyncEngine, 'syncPaths' | 'fullSync' | 'sendsWithRsync'>;
  log: Logger;
  settings: SyncLoopSettings;
  /** Told after every batch and full sync (status, systemd STATUS=). */
  onSynced?: (info: { kind: 'batch' | 'full-sync'; paths: number; ms: number; ok: boolean }) => void;
  /** A batch of new records was checked (the peers' updates follow on their own): the sync latency's start. */
  onBatchChecked?: (info: { oldestAppendAt: number; paths: number }) => void;
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
 * The bash script's main loop, event-driven. Each cycle does one thing, in
 * this order: a due queue reset, a due full sync, a batch of new records
 * (once the burst gate lets it go), or a retry of failed paths. The parts
 * that decide *when* (BurstGate, FullSyncSchedule, PathRetry) take the time
 * as an argument; this class only sleeps until the earliest of their times.
 */
export class SyncLoop {
  readonly stats: SyncLoopStats = { batches: 0, pathsSynced: 0, fullSyncs: 0, resets: 0 };
  private readonly cursor: QueueCursor;
  private readonly burst: BurstGate;
  private readonly fullSyncs: FullSyncSchedule;
  private readonly retry = new PathRetry();
  private stopping = false;
  private wakeUp: (() => void) | undefined;

  constructor(private readonly options: SyncLoopOptions) {
    const { settings } = options;
    this.cursor = new QueueCursor(options.queue, options.reader);
    this.burst = new BurstGate(settings);
    this.fullSyncs = new FullSyncSchedule(settings.fullSyncIntervalMs, Date.now());
  }

  /** Byte offset of the next unread record. */
  get offset(): number {
    return this.cursor.offset;
  }

  /** Records read since the last reset. */
  get linesRead(): number {
    return this.cursor.linesRead;
  }

  /** The queue got records: start a batch soon. */
  notifyAppend(): void {
    this.burst.noteAppend(Date.now(), this.options.queue.appended);
    this.wakeUp?.();
  }

  /** A full sync is needed; with `settleMs`, one per burst of such requests (see FullSyncSchedule). */
  requestFullSync(reason: string, settleMs = 0): void {
    this.fullSyncs.request(reason, Date.now(), settleMs);
    this.wakeUp?.();
  }

  get fullSyncPending(): string | undefined {
    return this.fullSyncs.pending;
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
        this.fullSyncs.requestAfter('a sync cycle failed', Date.now(), CYCLE_FAILURE_RETRY_MS);
      }
    }
  }

  /** When the next cycle should start, in ms from now. */
  private nextDelay(now: number): number {
    const { settings, queue } = this.options;
    // Idle, only a cheap look at the queue file (deleted or truncated behind our back) now and then.
    const times = [now + Math.max(settings.checkIntervalMs, IDLE_CHECK_MS), this.fullSyncs.nextAt(), this.retry.nextAt()];
    if (queue.failing) times.push(now + 1000);
    else times.push(this.burst.nextAt(now, queue.pendingCount > 0));
    const next = Math.min(...times.filter((time): time is number => time !== undefined));
    return Math.max(0, next - now);
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

  private verifyQueueFile(): void {
    const { queue, log } = this.options;
    const offset = this.cursor.offset;
    const damage = this.cursor.verify();
    if (damage === 'replaced') {
      log.warn(`queue file ${queue.path} was deleted or replaced behind the daemon's back; recreating it, a full sync follows`);
      this.requestFullSync('the queue file was replaced');
    } else if (damage === 'truncated') {
      log.warn(`queue file ${queue.path} shrank below the read position (${offset} bytes) behind the daemon's back; emptying it, a full sync follows`);
      this.requestFullSync('the queue file was truncated');
    }
  }

  private async cycle(): Promise<void> {
    const { queue, settings } = this.options;
    queue.flush();
    this.verifyQueueFile();
    const now = Date.now();
    // Housekeeping runs on time under steady load too: a busy site never has a quiet queue.
    if (this.cursor.resetDue(settings.numLinesUntilReset)) {
      this.resetQueue();
      return;
    }
    // A due full sync goes first, so endless small batches cannot starve it.
    const fullSyncReason = this.fullSyncs.due(now);
    if (fullSyncReason !== undefined) {
      await this.fullSync(fullSyncReason);
      return;
    }
    if (this.cursor.hasUnread) {
      if (this.burst.stillPouringIn(now, queue.appended)) return;
      const oldestAppendAt = this.burst.pendingSince;
      // One term of a change's latency (bench:churn adds them up): how long its record waited for a batch.
      if (oldestAppendAt !== undefined) this.options.log.debug(`BATCH: starts ${Math.round(now - oldestAppendAt)} ms after its oldest record`);
      this.burst.batchStarted(now);
      const paths = await this.readAndSync();
      if (oldestAppendAt !== undefined && paths > 0) this.options.onBatchChecked?.({ oldestAppendAt, paths });
      // Changes that came in while this batch ran mean load: the next batch keeps check_interval's spacing.
      queue.flush();
      this.burst.batchFinished(this.cursor.hasUnread);
      return;
    }
    this.burst.drained();
    if (now - (this.stats.lastBatch?.at ?? 0) >= IDLE_AFTER_MS) this.options.onIdle?.();
    if (this.retry.due(now)) {
      const paths = this.retry.take();
      this.options.log.info(`PROCESSING QUEUE: retrying ${paths.length} paths whose csync2 check failed`);
      await this.syncPaths(paths);
    }
  }

  /** One batch: the new records, with the failed paths waiting for a retry. Returns its distinct paths. */
  private async readAndSync(): Promise<number> {
    const { settings } = this.options;
    const batch = await this.cursor.read(settings.numBatchedChangesThreshold);
    const paths = this.retry.size > 0 ? [...new Set([...this.retry.take(), ...batch.paths])] : batch.paths;
    const distinct = batch.overLimit ? batch.distinct : paths.length;
    await this.runBatch(planBatch({ paths, distinct, overLimit: batch.overLimit }, settings), batch.records);
    return distinct;
  }

  private async runBatch(plan: BatchPlan, records: number): Promise<void> {
    const { log, settings } = this.options;
    if (plan.kind === 'empty') return;
    if (plan.kind === 'full-sync') {
      const threshold = settings.numBatchedChangesThreshold;
      log.info(`LARGE BATCH: ${plan.distinct >= threshold ? `${plan.distinct}+` : plan.distinct} distinct paths reach num_batched_changes_threshold (${threshold}); running a full sync instead`);
      await this.fullSync('large batch');
      return;
    }
    const largeBatch = plan.kind === 'rsync' && this.options.engine.sendsWithRsync;
    if (largeBatch) log.info(`LARGE BATCH: ${plan.paths.length} paths reach rsync_threshold (${settings.rsyncThreshold}); sending them with rsync once csync2 has checked them`);
    log.info(`PROCESSING QUEUE: ${plan.paths.length} paths from ${records} records`);
    await this.syncPaths(plan.paths, largeBatch);
  }

  private async syncPaths(paths: string[], largeBatch = false): Promise<void> {
    const started = Date.now();
    const result = await this.options.engine.syncPaths(paths, { largeBatch });
    this.retry.record(result.failedPaths, Date.now());
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
    const linesRead = this.cursor.linesRead;
    const carried = this.cursor.reset();
    log.info(`RESET QUEUE LOG: ${linesRead} records read; emptied ${queue.path}${carried ? ` (${carried} bytes not read yet carried over)` : ''}, then a full sync`);
    this.stats.resets++;
    this.requestFullSync('after queue reset');
  }

  /** FULL SYNC: `csync2 -cr /` and updates (or `-x`); on failure it is retried with backoff. */
  async fullSync(reason: string): Promise<boolean> {
    const { log, engine, queue } = this.options;
    // A retry's start is detail: its failure or success is what gets logged.
    if (reason.startsWith('retry: ')) log.debug(`FULL SYNC (${reason})`);
    else log.info(`FULL SYNC (${reason})`);
    this.fullSyncs.started();
    const started = Date.now();
    // Changes queued before the check starts are covered by it: they need no batch of their own.
    queue.flush();
    const coveredUpTo = queue.size();
    const { checked: ok, error } = await engine.fullSync();
    if (ok) await this.cursor.skipCovered(coveredUpTo);
    const ms = Date.now() - started;
    const report = this.fullSyncs.finished(reason, ok, Date.now(), error);
    this.stats.fullSyncs++;
    this.stats.lastFullSync = { at: Date.now(), ms, ok, reason };
    this.options.onSynced?.({ kind: 'full-sync', paths: 0, ms, ok });
    this.logFullSync(report, ms, error ?? 'errors');
    return ok;
  }

  /** A full sync's result: a failure once, then a reminder every 5 min while it fails the same way. */
  private logFullSync(report: FullSyncReport, ms: number, error: string): void {
    const { log } = this.options;
    const took = `${(ms / 1000).toFixed(1)} s`;
    switch (report.kind) {
      case 'ok':
        log.info(`FULL SYNC done in ${took}`);
        return;
      case 'recovered':
        log.info(`FULL SYNC done in ${took}, after ${report.failures} failed attempts since ${new Date(report.since).toISOString()}`);
        return;
      default: {
        const next = `next try in ${Math.round(report.retryInMs / 1000)} s`;
        const hint = /timeout/.test(error) ? ' (a tree whose check needs longer: raise --full-sync-timeout)' : '';
        if (report.log === 'first' || report.log === 'changed') {
          log.warn(`FULL SYNC failed after ${took}: ${error}; ${next}, backing off up to 5 min while it fails the same way${hint}`);
        } else if (report.log === 'reminder') {
          log.warn(`FULL SYNC still failing since ${new Date(report.since).toISOString()} (${report.failures} attempts): ${error}; ${next}${hint}`);
        } else {
          log.debug(`FULL SYNC failed again (${report.failures} attempts): ${error}; ${next}`);
        }
      }
    }
  }
}

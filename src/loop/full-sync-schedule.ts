import { backoffDelay, DEFAULT_BACKOFF } from '../sync/peer-health.js';

/** Requests arriving in a burst (overflows) delay their full sync at most this long after the first. */
const MAX_SETTLE_MS = 10_000;
/** A failed full sync (usually files changing under csync2's feet) is retried within seconds, not minutes. */
const MAX_RETRY_MS = 5000;
/** The same failure again is no passing one: its retries back off from 5 s, doubling, up to 5 min. */
const REPEATED_RETRY_MS = 5000;
const MAX_REPEATED_RETRY_MS = 300_000;
/** A full sync that keeps failing the same way is logged again this often. */
export const FULL_SYNC_REMINDER_MS = 300_000;

/** What a finished full sync deserves in the log. */
export type FullSyncReport =
  | { kind: 'ok' }
  /** It worked again after failing: one line says so. */
  | { kind: 'recovered'; failures: number; since: number }
  /** A failure: `log` says whether this one is written (first, changed, a reminder) or only kept for --debug. */
  | { kind: 'failed'; log: 'first' | 'changed' | 'reminder' | undefined; failures: number; since: number; retryInMs: number };

/**
 * When a full sync is due: requested (start-up, overflow, a watcher restart,
 * a reset, a reload), periodic (`full_sync_interval`), or a retry after a
 * failure. Every method takes the time: the schedule has no clock of its own.
 */
export class FullSyncSchedule {
  private reason: string | undefined;
  private requestedAt = 0;
  private notBefore = 0;
  private failures = 0;
  /** The last failure's error, how many times in a row it came, when the failures began and were last logged. */
  private lastError: string | undefined;
  private repeats = 0;
  private failingSince = 0;
  private reportedAt = 0;
  private lastAt: number;

  /** `intervalMs` 0 = no periodic full sync. */
  constructor(private readonly intervalMs: number, now: number) {
    this.lastAt = now;
  }

  /**
   * With `settleMs`, the full sync waits until no request came for that long,
   * at most MAX_SETTLE_MS after the first: one full sync per burst of overflows.
   */
  request(reason: string, now: number, settleMs = 0): void {
    if (this.reason === undefined) {
      this.reason = reason;
      this.requestedAt = now;
      this.notBefore = now + settleMs;
    } else if (settleMs > 0) {
      this.notBefore = Math.min(Math.max(this.notBefore, now + settleMs), this.requestedAt + MAX_SETTLE_MS);
    }
  }

  /** A requested full sync that must not start before `now + delayMs` (e.g. after a failed cycle). */
  requestAfter(reason: string, now: number, delayMs: number): void {
    this.request(reason, now);
    this.notBefore = now + delayMs;
  }

  /** The reason of a requested full sync not started yet. */
  get pending(): string | undefined {
    return this.reason;
  }

  /** The reason if a full sync should start now (a periodic one becomes due here). */
  due(now: number): string | undefined {
    if (this.reason === undefined && this.intervalMs > 0 && now - this.lastAt >= this.intervalMs) this.request('periodic', now);
    return this.reason !== undefined && now >= this.notBefore ? this.reason : undefined;
  }

  /** The full sync starts: requests from now on need another one. */
  started(): void {
    this.reason = undefined;
  }

  /**
   * A full sync ended. A failure is retried: within 5 s while its error keeps
   * changing (files changing under csync2), backing off to 5 min while the same
   * error repeats (a tree too large for --full-sync-timeout, a broken database).
   */
  finished(reason: string, ok: boolean, now: number, error = ''): FullSyncReport {
    this.lastAt = now;
    if (ok) {
      const [failures, since] = [this.failures, this.failingSince];
      this.failures = 0;
      this.repeats = 0;
      this.lastError = undefined;
      return failures > 0 ? { kind: 'recovered', failures, since } : { kind: 'ok' };
    }
    const first = this.failures === 0;
    const changed = !first && error !== this.lastError;
    this.failures++;
    this.repeats = changed || first ? 1 : this.repeats + 1;
    this.lastError = error;
    if (first) this.failingSince = now;
    this.reason = reason.startsWith('retry: ') ? reason : `retry: ${reason}`;
    const retryInMs = this.repeats >= 2
      ? Math.min(MAX_REPEATED_RETRY_MS, REPEATED_RETRY_MS * 2 ** Math.min(this.repeats - 2, 30))
      : Math.min(MAX_RETRY_MS, backoffDelay(this.failures, DEFAULT_BACKOFF));
    this.notBefore = now + retryInMs;
    const log = first ? 'first' : changed ? 'changed' : now - this.reportedAt >= FULL_SYNC_REMINDER_MS ? 'reminder' : undefined;
    if (log) this.reportedAt = now;
    return { kind: 'failed', log, failures: this.failures, since: this.failingSince, retryInMs };
  }

  /** The next time a full sync may become due; undefined when none will. */
  nextAt(): number | undefined {
    const times: number[] = [];
    if (this.reason !== undefined) times.push(this.notBefore);
    if (this.intervalMs > 0) times.push(this.lastAt + this.intervalMs);
    return times.length > 0 ? Math.min(...times) : undefined;
  }
}

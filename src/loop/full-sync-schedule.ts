import { backoffDelay, DEFAULT_BACKOFF } from '../sync/peer-health.js';

/** Requests arriving in a burst (overflows) delay their full sync at most this long after the first. */
const MAX_SETTLE_MS = 10_000;
/** A failed full sync (usually files changing under csync2's feet) is retried within seconds, not minutes. */
const MAX_RETRY_MS = 5000;

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

  finished(reason: string, ok: boolean, now: number): void {
    this.lastAt = now;
    if (ok) {
      this.failures = 0;
      return;
    }
    this.failures++;
    this.reason = reason.startsWith('retry: ') ? reason : `retry: ${reason}`;
    this.notBefore = now + Math.min(MAX_RETRY_MS, backoffDelay(this.failures, DEFAULT_BACKOFF));
  }

  /** The next time a full sync may become due; undefined when none will. */
  nextAt(): number | undefined {
    const times: number[] = [];
    if (this.reason !== undefined) times.push(this.notBefore);
    if (this.intervalMs > 0) times.push(this.lastAt + this.intervalMs);
    return times.length > 0 ? Math.min(...times) : undefined;
  }
}

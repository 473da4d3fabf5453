/** Records since the first pending one that make a burst worth gathering further (a single change never waits). */
const BURST_RECORDS = 16;
/**
 * A burst has ended once no record came for this long. Under load a writer's
 * pauses (a busy CPU, a collection) reach tens of milliseconds; 20 ms ended a
 * 6,000-file deploy after 1,307 files in a CI run.
 */
const BURST_QUIET_MS = 100;

export interface BurstGateSettings {
  /** After the first change of an idle spell, wait this long for the rest of a burst. */
  gatherMs: number;
  /** Least time between the starts of two batches while changes keep coming; also a burst's longest gathering. */
  checkIntervalMs: number;
}

/**
 * Decides when queued records become a batch. A single change goes after
 * `gatherMs`. A burst still pouring in (BURST_RECORDS or more, the last under
 * BURST_QUIET_MS ago) is gathered window by window, at most `checkIntervalMs`,
 * so that it becomes one batch that can reach rsync_threshold. While batches
 * keep finding new records behind them (load), starts are `checkIntervalMs` apart.
 * Every method takes the time: the gate has no clock of its own.
 */
export class BurstGate {
  private firstPendingAt: number | undefined;
  private appendedAtFirstPending = 0;
  /** When the gathering window was last looked at, the appended count then, and when it last grew. */
  private mark: { at: number; appended: number; grewAt: number } | undefined;
  private lastBatchStart = 0;
  private underLoad = false;

  constructor(private readonly settings: BurstGateSettings) {}

  /** A record was appended; `appended` counts every record ever appended. */
  noteAppend(now: number, appended: number): void {
    if (this.firstPendingAt !== undefined) return;
    this.firstPendingAt = now;
    this.appendedAtFirstPending = appended - 1;
  }

  /** When the oldest record not yet in a batch was appended (what the sync latency counts from). */
  get pendingSince(): number | undefined {
    return this.firstPendingAt;
  }

  /** Asked when unread records wait: true holds the batch back one more window. */
  stillPouringIn(now: number, appended: number): boolean {
    const first = this.firstPendingAt;
    const mark = this.mark;
    this.mark = undefined;
    if (first === undefined || now - first >= this.settings.checkIntervalMs) return false;
    if (appended - this.appendedAtFirstPending < BURST_RECORDS) return false;
    const grewAt = appended > (mark?.appended ?? this.appendedAtFirstPending) ? now : (mark?.grewAt ?? first);
    if (now - grewAt >= BURST_QUIET_MS) return false;
    this.mark = { at: now, appended, grewAt };
    return true;
  }

  batchStarted(now: number): void {
    this.firstPendingAt = undefined;
    this.lastBatchStart = now;
  }

  /** `moreUnread`: records came in while the batch ran (load). */
  batchFinished(moreUnread: boolean): void {
    this.underLoad = moreUnread;
  }

  /** Nothing unread (the records that woke the loop may have gone with a truncated file). */
  drained(): void {
    this.underLoad = false;
    this.firstPendingAt = undefined;
  }

  /** When a batch may start, given that records wait (`pending`); undefined when none wait. */
  nextAt(now: number, pending: boolean): number | undefined {
    if (!pending && this.firstPendingAt === undefined) return undefined;
    const gathered = Math.max(this.firstPendingAt ?? now, this.mark?.at ?? 0) + this.settings.gatherMs;
    return this.underLoad ? Math.max(gathered, this.lastBatchStart + this.settings.checkIntervalMs) : gathered;
  }
}

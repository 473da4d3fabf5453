import { readFileSync } from 'node:fs';

/** The kernel's inotify queue size for instances created now (each instance keeps the value it was created with). */
export function readMaxQueuedEvents(file = '/proc/sys/fs/inotify/max_queued_events'): number | undefined {
  try {
    const value = Number.parseInt(readFileSync(file, 'utf8').trim(), 10);
    return Number.isInteger(value) && value > 0 ? value : undefined;
  } catch {
    return undefined;
  }
}

export interface OverflowGuessSettings {
  /** The inotify instance's queue size (`fs.inotify.max_queued_events` when it was created). */
  queueLimit: number;
  /** How long a burst may take to count as one queue's worth. @default 1000 */
  windowMs?: number;
  /** Resolution of the window. @default 50 */
  slotMs?: number;
}

/**
 * inotifywait 3.22 never prints the kernel's IN_Q_OVERFLOW, so a full queue is
 * inferred: as many events within any window of `windowMs` as the queue holds
 * (less the overflow entry itself) means events were probably dropped. The
 * window slides in `slotMs` steps, so a burst that straddles a second boundary
 * is counted whole; it spans at least `windowMs`, never less. Takes the time
 * as an argument; `note` answers whether this event completes such a burst
 * (at most once per window).
 */
export class OverflowGuess {
  private readonly threshold: number;
  private readonly slotMs: number;
  private readonly windowMs: number;
  /** Events per slot, indexed by absolute slot number modulo the length. */
  private readonly counts: number[];
  private readonly slotOf: number[];
  private total = 0;
  private flaggedAt = Number.NEGATIVE_INFINITY;

  constructor(settings: OverflowGuessSettings) {
    this.windowMs = settings.windowMs ?? 1000;
    this.slotMs = settings.slotMs ?? 50;
    // One slot more than the window holds: the oldest slot may have begun up to slotMs before now - windowMs.
    const length = Math.ceil(this.windowMs / this.slotMs) + 1;
    this.counts = new Array<number>(length).fill(0);
    this.slotOf = new Array<number>(length).fill(Number.NEGATIVE_INFINITY);
    this.threshold = Math.max(1, settings.queueLimit - 1);
  }

  /** One event at `now`: true when the events of the last window reach a full queue. */
  note(now: number): boolean {
    const slot = Math.floor(now / this.slotMs);
    const length = this.counts.length;
    const index = ((slot % length) + length) % length;
    if (this.slotOf[index] !== slot) {
      this.expire(slot);
      this.slotOf[index] = slot;
      this.counts[index] = 0;
    }
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.total++;
    if (this.total < this.threshold || now - this.flaggedAt < this.windowMs) return false;
    this.flaggedAt = now;
    return true;
  }

  /** Events counted in the current window (for tests and debugging). */
  get inWindow(): number {
    return this.total;
  }

  /** Drops the slots that fell out of the window ending in `slot`. */
  private expire(slot: number): void {
    const length = this.counts.length;
    for (let i = 0; i < length; i++) {
      const owner = this.slotOf[i] ?? Number.NEGATIVE_INFINITY;
      if (owner > slot - length) continue;
      this.total -= this.counts[i] ?? 0;
      this.counts[i] = 0;
      this.slotOf[i] = Number.NEGATIVE_INFINITY;
    }
  }
}

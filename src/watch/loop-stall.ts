import type { Logger } from '../log/logger.js';

export interface LoopStallSettings {
  /** How often the timer ticks (an idle daemon wakes for it: a few microseconds each). @default 500 */
  tickMs?: number;
  /** A tick this much later than due is a stall. @default 1000 */
  stallMs?: number;
  /** After a stall, how long to wait for the events inotifywait held back. @default 1000 */
  drainMs?: number;
}

/** What a stall meant: events were waiting during it (some may have been dropped), or none were. */
export interface StallVerdict {
  stalledMs: number;
  eventsWaiting: boolean;
}

/**
 * While the daemon's event loop is blocked, nothing reads inotifywait's pipe:
 * once the pipe is full inotifywait stops reading the kernel queue, and the
 * kernel drops events past `max_queued_events` without anyone being told
 * (inotifywait 3.22 never reports IN_Q_OVERFLOW). A tick that comes
 * `stallMs` late is such a stall; if events arrive right after it, they were
 * waiting during it and some may be lost. Takes the time as an argument.
 */
export class LoopStallJudge {
  private readonly tickMs: number;
  private readonly stallMs: number;
  private readonly drainMs: number;
  private lastTickAt: number;
  private eventsAtLastTick: number;
  private pending: { stalledMs: number; endedAt: number; eventsBefore: number } | undefined;

  constructor(settings: LoopStallSettings, now: number, events: number) {
    this.tickMs = settings.tickMs ?? 500;
    this.stallMs = settings.stallMs ?? 1000;
    this.drainMs = settings.drainMs ?? 1000;
    this.lastTickAt = now;
    this.eventsAtLastTick = events;
  }

  get everyMs(): number {
    return this.tickMs;
  }

  /** A tick at `now` with the count of events read so far; answers once a stall is judged. */
  tick(now: number, events: number): StallVerdict | undefined {
    const late = now - this.lastTickAt - this.tickMs;
    if (late >= this.stallMs) {
      // Events counted since the last tick may have come just before the stall: counted as waiting (the safe side).
      const eventsBefore = this.pending?.eventsBefore ?? this.eventsAtLastTick;
      this.pending = { stalledMs: Math.max(late, this.pending?.stalledMs ?? 0), endedAt: now, eventsBefore };
    }
    this.lastTickAt = now;
    this.eventsAtLastTick = events;
    const pending = this.pending;
    if (!pending) return undefined;
    if (events > pending.eventsBefore) {
      this.pending = undefined;
      return { stalledMs: pending.stalledMs, eventsWaiting: true };
    }
    if (now - pending.endedAt >= this.drainMs) {
      this.pending = undefined;
      return { stalledMs: pending.stalledMs, eventsWaiting: false };
    }
    return undefined;
  }
}

export interface LoopStallMonitorOptions extends LoopStallSettings {
  /** Events read from the watchers so far. */
  events: () => number;
  /** Events were waiting during a stall: some may have been dropped. */
  onPossibleLoss: (cause: string) => void;
  log: Logger;
}

/** Runs a LoopStallJudge on a timer that does not keep the process alive. */
export class LoopStallMonitor {
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly options: LoopStallMonitorOptions) {}

  start(): void {
    if (this.timer) return;
    const { options } = this;
    const judge = new LoopStallJudge(options, Date.now(), options.events());
    this.timer = setInterval(() => {
      const verdict = judge.tick(Date.now(), options.events());
      if (!verdict) return;
      const seconds = (verdict.stalledMs / 1000).toFixed(1);
      if (verdict.eventsWaiting) {
        options.onPossibleLoss(`the daemon's event loop stalled for ${seconds} s while inotify events were coming in (inotifywait could not hand them over meanwhile, so the kernel queue may have overflowed)`);
      } else {
        options.log.debug(`the daemon's event loop stalled for ${seconds} s; no inotify event was waiting, nothing lost`);
      }
    }, judge.everyMs);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}

import { processIoCounters, sessionProgress } from '../process/process-io.js';

export interface SessionLimitTimes {
  /** csync2 must have answered the peer's first request by then (it answers at once). @default 8000 */
  firstReplyMs: number;
  /** A session without progress (sessionProgress) for this long is ended. @default 60000 */
  idleMs: number;
  /** No session runs longer. @default 600000 */
  maxMs: number;
  /** A session running longer is reported (checks may have waited for it). @default 5000 */
  longMs: number;
  /** How often the session is looked at. @default 500 */
  everyMs: number;
}

/** csync2's shortest answer ("OK (cmd_finished).") is longer; below this, csync2 has written only its start-up bytes. */
const ANSWERED_BYTES = 8;

/** Whether session `pid`'s csync2 has answered its peer's first request. */
export function sessionAnswered(pid: number, counters = processIoCounters): boolean {
  return (counters(pid)?.written ?? 0) >= ANSWERED_BYTES;
}

const DEFAULTS: SessionLimitTimes = { firstReplyMs: 8000, idleMs: 60_000, maxMs: 600_000, longMs: 5000, everyMs: 500 };

/**
 * The limits of one `csync2 -i` session: whoever connected must have made
 * csync2 answer within `firstReplyMs`, must keep it making progress (a
 * trickle of bytes is not progress), and gets `maxMs` at most. `onEnd` is
 * called once with the reason when a limit is crossed; the caller kills it.
 */
export class SessionLimits {
  readonly times: SessionLimitTimes;
  ended = false;
  private readonly timer: NodeJS.Timeout;
  private readonly startedAt = Date.now();
  private lastProgress: number | undefined;
  private progressAt = Date.now();

  constructor(
    private readonly pid: number | undefined,
    times: Partial<SessionLimitTimes>,
    private readonly onEnd: (why: string) => void,
    private readonly io = { counters: processIoCounters, progress: sessionProgress },
  ) {
    this.times = { ...DEFAULTS, ...Object.fromEntries(Object.entries(times).filter(([, value]) => value !== undefined)) };
    this.timer = setInterval(() => this.look(), this.times.everyMs);
    this.timer.unref();
  }

  get longMs(): number {
    return this.times.longMs;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private look(): void {
    if (this.pid === undefined || this.ended) return;
    const now = Date.now();
    const ran = now - this.startedAt;
    const progress = this.io.progress(this.pid);
    if (progress === undefined) return;
    if (progress !== this.lastProgress) {
      this.lastProgress = progress;
      this.progressAt = now;
    }
    let why: string | undefined;
    if (ran >= this.times.firstReplyMs && !sessionAnswered(this.pid, this.io.counters)) {
      why = `no whole csync2 request within ${this.times.firstReplyMs / 1000} s (csync2 answered nothing; a peer's first line comes at once)`;
    } else if (now - this.progressAt >= this.times.idleMs) {
      why = `no progress for ${this.times.idleMs / 1000} s`;
    } else if (ran >= this.times.maxMs) {
      why = `ran ${this.times.maxMs / 1000} s, the most a session may`;
    }
    if (why === undefined) return;
    this.ended = true;
    this.stop();
    this.onEnd(why);
  }
}

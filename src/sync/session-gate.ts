import { IoProgress } from '../process/process-io.js';

/**
 * Orders everything that touches this node's files and csync2 database: the
 * node's own checks (`-c`, `-m`), its updates to peers (`-u`), and each
 * peer's incoming session (`csync2 -i`, which the daemon starts itself).
 *
 * - A check runs alone. A session applies a received file in several
 *   commands, each followed by its own database update (csync2's daemon.c): a
 *   check in between marks the half-applied file dirty and sends the older
 *   state back (the echo race). And an update deletes a file's dirty entry once
 *   it has sent the file, also when a check marked a newer change of it
 *   meanwhile, which would then never be sent.
 * - Sessions run one at a time: a session checks the file it receives first,
 *   and would take another session's half-applied file for a local change.
 * - Updates run beside sessions and each other.
 *
 * No wait cycle between nodes: a check first holds back new updates and waits
 * for the running ones; only then does it hold back sessions, when this node
 * has nothing waiting on another node. A waiting check goes before sessions and
 * updates that come later, so a busy cluster cannot starve it.
 *
 * A session that has done no I/O for `stallMs` waits on a sender that does
 * not answer (a frozen host) and is not waited for. An update is waited for
 * until it ends, however long it is silent: csync2 deletes a file's dirty entry
 * after sending the state it read before, so a check beside it could mark a
 * newer change that the update then drops for that peer (csync2's update.c).
 * A silent update ends itself: SyncEngine runs it with an idle timeout.
 */
export interface SessionGateOptions {
  /** Bytes the process has read and written so far (undefined once it is gone). */
  ioCount: (pid: number) => number | undefined;
  /** A session without I/O for this long is not waited for. @default 5000 */
  stallMs?: number;
  /** Whether the session's csync2 has answered its peer yet (it does at once for a real peer). */
  answered?: (pid: number) => boolean;
  /** Whether the session's csync2 is blocked reading its peer; undefined where that cannot be told. */
  waitsOnPeer?: (pid: number) => boolean | undefined;
  /**
   * A session that has not answered its peer after this long, and waits for
   * the peer's bytes, is not waited for (a real peer sends its request at
   * once). One that works meanwhile (csync2 opening a busy database) is.
   * @default 2000
   */
  unansweredStallMs?: number;
  /** How often a waiter looks for a stalled holder. @default 100 */
  pollMs?: number;
  now?: () => number;
}

export type GateUse = 'check' | 'session' | 'update';

interface Holder {
  use: GateUse;
  progress: IoProgress;
  pid?: number;
  since: number;
  answered: boolean;
}

/** The gate held for one use; `setPid` once its process runs, `end()` once it exited. */
export interface GateTicket {
  setPid(pid: number | undefined): void;
  end(): void;
}

interface Waiter {
  use: GateUse;
  wake: (holder: Holder) => void;
}

export class SessionGate {
  private readonly holders = new Set<Holder>();
  private readonly waiters: Waiter[] = [];
  private pollTimer: NodeJS.Timeout | undefined;
  /** The check that holds back new updates (phase 1) and then sessions (phase 2) until it may run. */
  private draining: { wake: (holder: Holder) => void; holdingSessions: boolean } | undefined;
  /** A check runs. */
  private checking = false;
  /** Sessions admitted since start (the INCOMING hold counts them). */
  sessionsServed = 0;
  private readonly stallMs: number;
  private readonly unansweredStallMs: number;
  private readonly pollMs: number;
  private readonly now: () => number;

  constructor(private readonly options: SessionGateOptions) {
    this.stallMs = options.stallMs ?? 5000;
    this.unansweredStallMs = options.unansweredStallMs ?? 2000;
    this.pollMs = options.pollMs ?? 100;
    this.now = options.now ?? Date.now;
  }

  /** Waits for the gate for a peer's session. */
  admit(): Promise<GateTicket> {
    return this.acquire('session');
  }

  /** Runs `work` (a local check) alone: no session, no update of this node meanwhile. */
  async exclusive<T>(work: () => Promise<T>): Promise<T> {
    const ticket = await this.acquire('check');
    try {
      return await work();
    } finally {
      ticket.end();
    }
  }

  /** Runs `work` (an update to a peer) while no check runs; a check waits for it to end. */
  async update<T>(work: () => Promise<T>): Promise<T> {
    const ticket = await this.acquire('update');
    try {
      return await work();
    } finally {
      ticket.end();
    }
  }

  async acquire(use: GateUse): Promise<GateTicket> {
    const holder = await new Promise<Holder>((resolve) => {
      this.waiters.push({ use, wake: resolve });
      this.pump();
    });
    let ended = false;
    return {
      setPid: (pid) => {
        holder.pid = pid;
        holder.since = this.now();
        holder.progress.watch(pid);
      },
      end: () => {
        if (ended) return;
        ended = true;
        this.holders.delete(holder);
        if (use === 'session') this.sessionsServed++;
        if (use === 'check') this.checking = false;
        this.pump();
      },
    };
  }

  /** Starts every waiter its rule allows now, in the order they came. */
  private pump(): void {
    const draining = this.draining;
    if (draining) {
      if (!draining.holdingSessions && this.active('update') === 0) draining.holdingSessions = true;
      if (draining.holdingSessions && this.active('session') === 0 && !this.checking) {
        this.draining = undefined;
        this.checking = true;
        draining.wake(this.hold('check'));
        // The check now runs (acquire marks it): nobody else starts in this pump.
        return;
      }
    }
    let sessionStarted = this.active('session') > 0;
    let checkAhead = this.draining !== undefined || this.checking;
    for (let i = 0; i < this.waiters.length; ) {
      const waiter = this.waiters[i] as Waiter;
      let start = false;
      if (waiter.use === 'check') {
        if (!checkAhead) {
          // This check begins draining; later updates (and, once updates are done, sessions) wait for it.
          this.waiters.splice(i, 1);
          this.draining = { wake: waiter.wake, holdingSessions: false };
          checkAhead = true;
          this.pump();
          return;
        }
      } else if (waiter.use === 'session') {
        start = !sessionStarted && !(this.draining?.holdingSessions ?? false) && !this.checking;
        if (start) sessionStarted = true;
      } else {
        // An update waits for a running session (both write this node's database, and csync2
        // sleeps a whole second when it finds it locked); a session never waits for an update.
        start = !checkAhead && !sessionStarted;
      }
      if (start) {
        this.waiters.splice(i, 1);
        waiter.wake(this.hold(waiter.use));
      } else {
        i++;
      }
    }
    if (this.waiters.length > 0 || this.draining) this.schedulePoll();
  }

  /** A holder counts from the moment its waiter is woken, so the next pump sees it. */
  private hold(use: GateUse): Holder {
    const holder: Holder = { use, progress: new IoProgress(this.now, this.options.ioCount), since: this.now(), answered: this.options.answered === undefined };
    this.holders.add(holder);
    return holder;
  }

  /** Holders of `use` still to be waited for: every update, and the sessions that did I/O lately (and answered their peer in time). */
  private active(use: GateUse): number {
    let count = 0;
    for (const holder of this.holders) if (holder.use === use && (use === 'update' || this.sessionAtWork(holder))) count++;
    return count;
  }

  private sessionAtWork(holder: Holder): boolean {
    if (holder.progress.idleMs() >= this.stallMs) return false;
    if (holder.answered || holder.pid === undefined || this.now() - holder.since < this.unansweredStallMs) return true;
    holder.answered = this.options.answered?.(holder.pid) ?? true;
    return holder.answered || this.options.waitsOnPeer?.(holder.pid) === false;
  }

  /** While someone waits, look again now and then: a holder may have stalled. */
  private schedulePoll(): void {
    if (this.pollTimer !== undefined) return;
    this.pollTimer = setTimeout(() => {
      this.pollTimer = undefined;
      this.pump();
    }, this.pollMs);
    this.pollTimer.unref();
  }
}

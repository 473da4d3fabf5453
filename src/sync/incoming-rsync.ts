import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { rootOf } from '../paths/under-root.js';
import { trustedRsyncKind, type RsyncTrust } from './trusted-rsync.js';

/**
 * A peer's daemon sends a large batch with rsync and only afterwards runs
 * `csync2 -u`, which tells this node's csync2 database about those files. If
 * this node checked the files in between, its database would not know them
 * yet: `csync2 -cr` would mark them dirty here and this node would push them
 * back, over a deletion the sender made meanwhile (csync2's "younger" rule lets
 * an existing file win over a deletion; measured). So checks wait while an
 * rsync process writes into this node's tree, and after it ends until the
 * sender's update came: a session of this node's csync2 server that ended
 * since (at least `settleMs`, at most `maxHoldMs` after the rsync ended).
 *
 * An rsync receiver (`rsync --server` under sshd, or an rsync daemon's child)
 * works with its current directory at the destination: a process named rsync
 * whose cwd is inside a watched root, running the real rsync binary as a
 * trusted user (see trusted-rsync.ts: anyone can name a process rsync). An
 * admin's own local rsync into the tree matches too (not a receiver started by
 * sshd or an rsync daemon): that only delays the check while it runs and for
 * `settleMs`, and no csync2 update is waited for after it.
 */
export type RsyncWriter = 'peer' | 'local';

export function rsyncWritingInto(roots: readonly string[], trust: RsyncTrust, proc = '/proc'): RsyncWriter | undefined {
  if (roots.length === 0) return undefined;
  let entries: string[];
  try {
    entries = readdirSync(proc);
  } catch {
    return undefined;
  }
  let found: RsyncWriter | undefined;
  for (const entry of entries) {
    const first = entry.charCodeAt(0);
    if (first < 48 || first > 57) continue;
    try {
      if (readFileSync(`${proc}/${entry}/comm`, 'latin1') !== 'rsync\n') continue;
      const cwd = readlinkSync(`${proc}/${entry}/cwd`);
      if (rootOf(cwd, roots) === undefined) continue;
      const kind = trustedRsyncKind(entry, trust, proc);
      if (kind === 'peer') return 'peer';
      if (kind === 'local') found = 'local';
    } catch {
      // Gone meanwhile, or not ours to read.
    }
  }
  return found;
}

export interface IncomingRsyncOptions {
  /** The include roots this node watches (they change on SIGHUP). */
  roots: () => readonly string[];
  /** Which rsync processes count (the real binary, trusted users). */
  trust: RsyncTrust;
  /** How long after the last rsync writer was seen the tree counts as still receiving. @default 3000 */
  settleMs?: number;
  /**
   * Sessions this node's csync2 server has finished (undefined without a server
   * of its own). After the rsync ended, the tree counts as receiving until one
   * more has finished: the sender's `csync2 -u` that follows its rsync.
   */
  sessionsServed?: () => number | undefined;
  /** The longest the wait for that update lasts after the rsync ended (max_wait_time). @default 10000 */
  maxHoldMs?: number;
  /** Test seam: the probe itself. @default rsyncWritingInto */
  probe?: (roots: readonly string[], trust: RsyncTrust) => RsyncWriter | undefined;
}

/** How often a temporary-file event may trigger a look at /proc. */
const NOTICE_PROBE_MS = 250;

/** Remembers when an rsync last wrote into this node's tree. */
export class IncomingRsync {
  private lastSeenAt = 0;
  /** When a peer's rsync (not an admin's local one) was last seen, and the server's sessions then. */
  private peerSeenAt = 0;
  private servedWhenSeen = 0;
  private lastProbeAt = Number.NEGATIVE_INFINITY;
  private runningAtLastProbe = false;
  readonly settleMs: number;
  readonly maxHoldMs: number;

  constructor(private readonly options: IncomingRsyncOptions) {
    this.settleMs = options.settleMs ?? 3000;
    this.maxHoldMs = Math.max(this.settleMs, options.maxHoldMs ?? 10_000);
  }

  /**
   * An event named like rsync's temporary file (`.NAME.XXXXXX`) arrived: look
   * for an rsync writer now, while it runs, rather than only when the next
   * batch starts (which may be seconds later under load). At most every 250 ms.
   */
  notice(now = Date.now()): void {
    if (now - this.lastProbeAt >= NOTICE_PROBE_MS) this.probe(now);
  }

  /**
   * True while an rsync writes into the tree, for `settleMs` after it was last
   * seen, and then until the sender's update came (see awaitingUpdate).
   */
  receiving(now = Date.now()): boolean {
    this.probe(now);
    if (this.lastSeenAt === 0) return false;
    return now - this.lastSeenAt < this.settleMs || this.awaitingUpdate(now);
  }

  /**
   * A peer's rsync has ended and no csync2 server session has finished since it
   * was last seen, less than `maxHoldMs` ago: the sender's `csync2 -u` is still to come.
   */
  awaitingUpdate(now = Date.now()): boolean {
    if (this.peerSeenAt === 0 || this.runningAtLastProbe) return false;
    const served = this.options.sessionsServed?.();
    return served !== undefined && served === this.servedWhenSeen && now - this.peerSeenAt < this.maxHoldMs;
  }

  private probe(now: number): void {
    this.lastProbeAt = now;
    const writer = (this.options.probe ?? rsyncWritingInto)(this.options.roots(), this.options.trust);
    this.runningAtLastProbe = writer !== undefined;
    if (writer !== undefined) this.lastSeenAt = now;
    if (writer === 'peer') {
      this.peerSeenAt = now;
      this.servedWhenSeen = this.options.sessionsServed?.() ?? 0;
    }
  }
}

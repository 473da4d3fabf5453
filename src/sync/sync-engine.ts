import type { Peer } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Csync2Client, Csync2Run } from './csync2-client.js';
import type { Csync2Server } from './csync2-server.js';
import type { IncomingRsync } from './incoming-rsync.js';
import {
  DEFAULT_BACKOFF,
  newPeerHealth,
  recordFailure,
  recordSuccess,
  type BackoffPolicy,
  type PeerHealth,
  type PeerLogLine,
} from './peer-health.js';

export interface SyncEngineOptions {
  client: Csync2Client;
  /** This node's server, when the daemon runs it: client calls wait until it is quiet. */
  server?: Csync2Server;
  /** A peer's rsync writing into this tree: checks wait until it ended and the peer's csync2 update came. */
  incoming?: IncomingRsync;
  peers: Peer[];
  /** False on a host that is read-only in all its groups: it never runs `csync2 -u`. */
  pushes: boolean;
  /** One `csync2 -u -P PEER` per peer at once (else one `csync2 -u`, or `-x` for a full sync). */
  parallelUpdates: boolean;
  /** How many peer updates run at once. */
  maxParallel: number;
  /** How long one peer's update runs alone before the next starts beside it. @default 3000 */
  staggerMs?: number;
  /** The longest a change waits for a busy server before the client call runs anyway. */
  maxWaitMs: number;
  log: Logger;
  backoff?: BackoffPolicy;
  /** csync2 named a dirty file it could not find (`%prefix%/path` or a path): check it again. */
  onStalePath?: (name: string) => void;
}

/** How long one peer's update runs alone before the next one starts beside it. */
const STAGGER_MS = 3000;

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** Failures that are not the peer's: retried soon, never more than 5 s apart. */
const LOCAL_FAILURE_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 5000, reminderMs: 300_000 };

export interface PathSyncResult {
  /** Paths whose `-cr` failed: retried with the next batch. */
  failedPaths: string[];
  /** All steps succeeded for every peer that was tried. */
  ok: boolean;
}

/** Drives csync2 for a batch, a full sync or a retry, and keeps each peer's health. */
export class SyncEngine {
  readonly peers: PeerHealth[];
  private readonly backoff: BackoffPolicy;

  constructor(private readonly options: SyncEngineOptions) {
    this.peers = options.peers.map((peer) => newPeerHealth(peer.name, peer.readOnly));
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  /**
   * Waits until no peer is delivering: no csync2 server session runs, no rsync
   * writes into the tree, and a finished rsync's csync2 update has come. A check
   * during a delivery would mark the peer's files dirty here and send them back.
   * At most max_wait_time, or max_wait_time after an incoming rsync ended.
   */
  async waitUntilQuiet(): Promise<void> {
    const { server, incoming, maxWaitMs, log } = this.options;
    const deadline = Date.now() + maxWaitMs;
    let held = false;
    for (;;) {
      const serverBusy = server !== undefined && !server.isQuiet();
      const receiving = incoming?.receiving() ?? false;
      if (!serverBusy && !receiving) break;
      if (receiving && !held) {
        held = true;
        log.info('INCOMING: a peer is writing into this tree with rsync; local checks wait until it and its csync2 update are done');
      }
      // Past the deadline only while a finished rsync's update is still to come (the hold bounds itself).
      const overdue = Date.now() >= deadline;
      if (overdue && !incoming?.awaitingUpdate()) {
        log.debug(`${receiving ? 'rsync delivery' : 'csync2 server'} still busy after ${maxWaitMs} ms; going ahead`);
        break;
      }
      const left = overdue ? 100 : deadline - Date.now();
      if (serverBusy && server) await server.waitQuiet(Math.min(left, 250));
      else await sleep(Math.min(left, 100));
    }
  }

  /** Marks the paths dirty (`-cr`), then updates the peers. */
  async syncPaths(paths: readonly string[]): Promise<PathSyncResult> {
    await this.waitUntilQuiet();
    const check = await this.options.client.check(paths);
    if (check.outcome.kind !== 'ok') {
      this.options.log.warn(
        `csync2 -cr failed for ${check.failedPaths.length} of ${paths.length} paths (${check.outcome.kind}: ${'detail' in check.outcome ? check.outcome.detail : ''}); they are retried with the next batch`,
      );
    }
    // A change this node's server just received (its own echo) marks nothing: then no peer needs an update.
    const nothingToSend =
      check.outcome.kind === 'ok' && check.marked === 0 && this.options.client.dirtyReportingConfirmed && this.peers.every((peer) => !peer.pending);
    if (nothingToSend) {
      this.options.log.debug(`csync2 -cr marked nothing dirty for ${paths.length} paths: no update needed`);
      return { failedPaths: [], ok: true };
    }
    const updated = await this.updatePeers(false);
    return { failedPaths: check.failedPaths, ok: check.outcome.kind === 'ok' && updated };
  }

  /**
   * `csync2 -cr /` and the updates, or `csync2 -x` without parallel updates.
   * `checked` false means the check itself failed and the whole full sync must
   * be retried; failed updates alone are retried per peer.
   */
  async fullSync(): Promise<{ checked: boolean; updated: boolean }> {
    await this.waitUntilQuiet();
    const { client, parallelUpdates, pushes, log } = this.options;
    if (!parallelUpdates && pushes) {
      const run = await client.syncAll();
      const updated = this.applySingleUpdate(run, true);
      const onlyPeersFailed = run.outcome.kind === 'ok' || run.outcome.kind === 'peer-unreachable';
      return { checked: onlyPeersFailed, updated };
    }
    const check = await client.checkAll();
    if (check.outcome.kind !== 'ok') {
      log.warn(`csync2 -cr / failed (${check.outcome.kind}: ${'detail' in check.outcome ? check.outcome.detail : ''}); the full sync is retried`);
    }
    const updated = await this.updatePeers(true);
    return { checked: check.outcome.kind === 'ok', updated };
  }

  /** Runs the updates of peers whose backoff has run out; `force` ignores backoff (full sync). */
  async updatePeers(force: boolean): Promise<boolean> {
    const { client, parallelUpdates, pushes } = this.options;
    if (!pushes || this.peers.length === 0) return true;
    const now = Date.now();
    if (!parallelUpdates) {
      if (!force && this.peers.every((peer) => peer.retryAt > now)) {
        for (const peer of this.peers) peer.pending = true;
        return false;
      }
      return this.applySingleUpdate(await client.update(), false);
    }
    const due = this.peers.filter((peer) => force || peer.retryAt <= now);
    for (const peer of this.peers) if (!due.includes(peer)) peer.pending = true;
    let allOk = due.length === this.peers.length;
    const updateOne = async (peer: PeerHealth): Promise<void> => {
      let run = await client.update(peer.name);
      // Parallel `-u -P` runs on one SQLite database take turns; one that waits past
      // csync2's lock-timeout exits "Database backend is exceedingly busy": not the peer's fault.
      for (let retry = 0; run.outcome.kind === 'locked' && retry < 3; retry++) run = await client.update(peer.name);
      if (!this.applyPeerResult(peer, run)) allOk = false;
    };
    // Staggered: the next peer's update starts when the previous one ends, or after
    // 3 s if it is still running. Two csync2 runs on one SQLite database make each
    // other wait about a second (measured: 880 ms instead of 45 ms for one file to two
    // peers), while a peer that hangs must not hold up the others for long.
    const running = new Set<Promise<void>>();
    for (const peer of due) {
      while (running.size >= this.options.maxParallel) await Promise.race(running);
      const run = updateOne(peer).finally(() => running.delete(run));
      running.add(run);
      await Promise.race([run, sleep(this.options.staggerMs ?? STAGGER_MS)]);
    }
    await Promise.all(running);
    return allOk;
  }

  private applyPeerResult(peer: PeerHealth, run: Csync2Run): boolean {
    const now = Date.now();
    if (run.outcome.kind === 'ok') {
      this.report(recordSuccess(peer, now));
      return true;
    }
    const detail = 'detail' in run.outcome ? run.outcome.detail : run.outcome.kind;
    this.noteStalePaths(run.stderr);
    if (run.outcome.kind === 'vanished') {
      // Files changed under csync2 while it sent the rest: the peer is fine; check those names and update again soon.
      this.options.log.debug(`update of peer ${peer.name}: ${detail}; checking again`);
      peer.pending = true;
      peer.retryAt = now + LOCAL_FAILURE_BACKOFF.initialMs;
      return false;
    }
    this.report(recordFailure(peer, detail, now, this.policyFor(run)));
    return false;
  }

  /**
   * A peer that cannot be reached backs off up to a minute; any other failure
   * (a file that changed under csync2, a lock) is retried within seconds.
   */
  private policyFor(run: Csync2Run): BackoffPolicy {
    const kind = run.outcome.kind;
    return kind === 'peer-unreachable' || kind === 'timeout' ? this.backoff : LOCAL_FAILURE_BACKOFF;
  }

  /**
   * `ERROR: Cant stat %data%/x.` or `I/O Error ... in rsync-delta: %data%/x`:
   * a dirty entry whose file was renamed or removed before `-u` ran. Checking
   * the name again records what happened to it.
   */
  private noteStalePaths(output: string): void {
    for (const line of output.split('\n')) {
      if (!/error/i.test(line)) continue;
      const match = /(?:Cant stat |: )(%[^%\s]+%\/.*?|\/.*?)\.?$/.exec(line);
      if (match?.[1]) this.options.onStalePath?.(match[1]);
    }
  }

  /** One `csync2 -u` or `-x` for all peers: its error text names the peers it could not reach. */
  private applySingleUpdate(run: Csync2Run, full: boolean): boolean {
    const now = Date.now();
    if (run.outcome.kind === 'ok') {
      for (const peer of this.peers) this.report(recordSuccess(peer, now));
      return true;
    }
    const detail = 'detail' in run.outcome ? run.outcome.detail : run.outcome.kind;
    this.noteStalePaths(run.stderr);
    if (run.outcome.kind === 'vanished') {
      for (const peer of this.peers) {
        peer.pending = true;
        peer.retryAt = now + LOCAL_FAILURE_BACKOFF.initialMs;
      }
      return false;
    }
    const unreachable = new Set<string>();
    for (const match of run.stderr.matchAll(/Connection to remote host [`'"]?([^`'"\s]+)[`'"]? failed/g)) {
      if (match[1]) unreachable.add(match[1]);
    }
    for (const peer of this.peers) {
      if (unreachable.size === 0 || unreachable.has(peer.name)) {
        this.report(recordFailure(peer, unreachable.size ? `ERROR: Connection to remote host \`${peer.name}' failed.` : detail, now, unreachable.size ? this.backoff : this.policyFor(run)));
      } else {
        this.report(recordSuccess(peer, now));
      }
    }
    if (full) this.options.log.warn(`csync2 -x finished with errors: ${detail}`);
    return false;
  }

  private report(line: PeerLogLine): void {
    if (!line) return;
    if (line.level === 'warn') this.options.log.warn(line.message);
    else this.options.log.info(line.message);
  }

  /** Earliest time a peer with pending changes may be retried, if any. */
  nextRetryAt(): number | undefined {
    const times = this.peers.filter((peer) => peer.pending).map((peer) => peer.retryAt);
    return times.length ? Math.min(...times) : undefined;
  }
}

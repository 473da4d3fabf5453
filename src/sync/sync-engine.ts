import type { Peer } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { Csync2Client, Csync2Run } from './csync2-client.js';
import type { Csync2Outcome } from './csync2-outcome.js';
import type { IncomingRsync } from './incoming-rsync.js';
import { PeerUpdater } from './peer-updater.js';
import { collapseToAncestors } from '../batch/plan-batch.js';
import { widenStalePaths } from '../batch/stale-paths.js';
import { newPeerHealth, peerUnreachable, type BackoffPolicy, type PeerHealth } from './peer-health.js';
import type { RsyncSender } from './rsync-sender.js';
import { UpdateResults } from './update-results.js';

/** When one `csync2 -u` for all peers may run again: the earliest backoff among the peers still waiting for changes. */
function earliestRetry(peers: readonly PeerHealth[]): number {
  const waiting = peers.filter((peer) => peer.pending);
  return waiting.length === 0 ? 0 : Math.min(...waiting.map((peer) => peer.retryAt));
}

/** The csync2 calls the engine makes. */
export type EngineCsync2 = Pick<Csync2Client, 'check' | 'checkAll' | 'update' | 'syncAll' | 'gated' | 'dirtyReportingConfirmed'>;

export interface SyncEngineOptions {
  client: EngineCsync2;
  /** The include roots (a stale path's nearest existing ancestor below them is checked instead). */
  watchRoots?: () => readonly string[];
  /** A peer's rsync writing into this tree: checks wait until it ended and the peer's csync2 update came. */
  incoming?: IncomingRsync;
  peers: Peer[];
  /** False on a host that is read-only in all its groups: it never runs `csync2 -u`. */
  pushes: boolean;
  /** One `csync2 -u -P PEER` per peer, each in its own pipeline (else one `csync2 -u` for all, or `-x` for a full sync). */
  parallelUpdates: boolean;
  /** The longest a check waits for a peer's rsync delivery and its csync2 update. */
  maxWaitMs: number;
  log: Logger;
  backoff?: BackoffPolicy;
  /** An update that does no I/O for this long is ended: its peer does not answer. @default 5000 */
  answerMs?: number;
  /**
   * A peer's update succeeded: it started at `startedAt` (performance.now(), like
   * `lastCheck.at`: it sent what was dirty then) and ended at `endedAt` (epoch ms).
   */
  onPeerUpdated?: (peer: string, startedAt: number, endedAt: number) => void;
  /** csync2 named a dirty file it could not find (`%prefix%/path` or a path): check it again. */
  onStalePath?: (name: string) => void;
  /** Sends a large batch with rsync once it is checked (`--rsync-threshold`). */
  rsync?: Pick<RsyncSender, 'deliver'>;
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

export interface PathSyncResult {
  /** Paths whose `-cr` failed: retried with the next batch. */
  failedPaths: string[];
  /** The check succeeded (the updates run in the peers' own pipelines). */
  ok: boolean;
}

/**
 * Drives csync2 for a batch, a full sync or a retry, and keeps each peer's
 * health. Checks run in the caller's batch; each peer's updates run in its own
 * pipeline (PeerUpdater), so the next batch is checked while peers are updated
 * and a peer that does not answer holds up no one else.
 */
export class SyncEngine {
  readonly peers: PeerHealth[];
  /**
   * The last check, for the sync latency metric: when it ended (`csync2 -cr`)
   * or began (`-x`, whose own update sends what its check marks), so that an
   * update started then or later sends what it marked; and whether it left
   * anything to send (an echo marks nothing). On performance.now()'s clock, as
   * csync2 runs are timed: Date.now() is whole ms, too coarse to order them.
   */
  lastCheck = { at: 0, sendsUpdates: false };
  private readonly updaters: PeerUpdater[];
  private readonly results: UpdateResults;

  constructor(private readonly options: SyncEngineOptions) {
    this.peers = options.peers.map((peer) => newPeerHealth(peer.name, peer.readOnly));
    this.results = new UpdateResults({ ...options, peers: this.peers });
    const common = { log: options.log };
    this.updaters = !options.pushes || this.peers.length === 0
      ? []
      : options.parallelUpdates
        ? this.peers.map((peer) => new PeerUpdater({
          ...common,
          peer,
          update: () => this.updateOne(peer),
          apply: (run) => this.results.applyPeer(peer, run),
          retryAt: () => peer.retryAt,
        }))
        : [new PeerUpdater({
          ...common,
          peer: undefined,
          // Ended when silent, like a peer's own update: a check waits for it (SessionGate).
          update: () => options.client.update(undefined, { idleTimeoutMs: options.answerMs ?? 5000 }),
          apply: (run) => this.results.applyAll(run, false),
          // The earliest backoff among the peers still waiting: one that got its changes has none.
          retryAt: () => earliestRetry(this.peers),
        })];
  }

  /**
   * Waits while a peer delivers with rsync: an rsync writes into the tree, or
   * a finished rsync's csync2 update has not come yet. A check in between would
   * mark the peer's files dirty here and send them back. (A peer's csync2
   * session needs no wait here: the daemon's own server keeps checks and
   * sessions apart, see SessionGate.) At most max_wait_time after the rsync ended.
   */
  async waitUntilQuiet(): Promise<void> {
    const { incoming, maxWaitMs, log } = this.options;
    if (!incoming) return;
    const deadline = Date.now() + maxWaitMs;
    let held = false;
    while (incoming.receiving()) {
      if (!held) {
        held = true;
        log.info('INCOMING: a peer is writing into this tree with rsync; local checks wait until it and its csync2 update are done');
      }
      // Past the deadline only while a finished rsync's update is still to come (the hold bounds itself).
      if (Date.now() >= deadline && !incoming.awaitingUpdate()) {
        log.debug(`rsync delivery still busy after ${maxWaitMs} ms; going ahead`);
        break;
      }
      await sleep(100);
    }
  }

  /** A large batch goes to the peers with rsync (`--rsync-threshold` on a host that pushes). */
  get sendsWithRsync(): boolean {
    return this.options.rsync !== undefined;
  }

  /**
   * Marks the paths dirty (`-cr`), then asks every peer's pipeline to send
   * them; a large batch goes to the peers with rsync in between.
   */
  async syncPaths(queued: readonly string[], options: { largeBatch?: boolean } = {}): Promise<PathSyncResult> {
    await this.waitUntilQuiet();
    const roots = this.options.watchRoots?.();
    const paths = collapseToAncestors(roots ? widenStalePaths(queued, roots) : queued);
    const check = await this.options.client.check(paths);
    const checkedAt = performance.now();
    const ok = check.outcome.kind === 'ok';
    if (!ok) {
      this.options.log.warn(
        `csync2 -cr failed for ${check.failedPaths.length} of ${paths.length} paths (${check.outcome.kind}: ${'detail' in check.outcome ? check.outcome.detail : ''}); they are retried with the next batch`,
      );
    }
    if (options.largeBatch && ok) await this.sendWithRsync(queued);
    // A change this node's server just received (its own echo) marks nothing: then no peer needs an update.
    const nothingToSend = ok && check.marked === 0 && this.options.client.dirtyReportingConfirmed && this.peers.every((peer) => !peer.pending);
    this.lastCheck = { at: checkedAt, sendsUpdates: !nothingToSend };
    if (nothingToSend) {
      this.options.log.debug(`csync2 -cr marked nothing dirty for ${paths.length} paths: no update needed`);
    } else {
      this.requestUpdates();
    }
    return { failedPaths: check.failedPaths, ok };
  }

  /**
   * rsync sends the checked batch's dirty files first; the peers it names still
   * need their `csync2 -u` (for csync2's databases), which then finds the files
   * identical. What rsync did not deliver, those updates send.
   */
  private async sendWithRsync(paths: readonly string[]): Promise<void> {
    const { rsync, log } = this.options;
    if (!rsync) return;
    const started = Date.now();
    const unreachable = new Set(this.peers.filter(peerUnreachable).map((peer) => peer.name));
    const delivery = await rsync.deliver(paths, unreachable);
    for (const peer of this.peers) if (delivery.dirtyPeers.includes(peer.name)) peer.pending = true;
    if (!delivery.delivered) log.warn('rsync did not deliver the batch; csync2 sends it instead');
    log.debug(`rsync step took ${Date.now() - started} ms`);
  }

  /**
   * `csync2 -cr /` and the updates (or `csync2 -x` without parallel updates
   * and without the daemon's own server). `checked` false means the check itself
   * failed (`error` says how) and the whole full sync must be retried; failed
   * updates are retried per peer.
   */
  async fullSync(): Promise<{ checked: boolean; error?: string }> {
    await this.waitUntilQuiet();
    const { client, parallelUpdates, pushes } = this.options;
    // `-x` runs its updates inside the check's turn: with a gated server two nodes could wait for each other.
    if (!parallelUpdates && pushes && !client.gated) {
      await this.settled();
      const run = await client.syncAll();
      this.lastCheck = { at: performance.now() - run.durationMs, sendsUpdates: true };
      const checked = run.outcome.kind === 'ok' || run.outcome.kind === 'peer-unreachable';
      // A failed -x is retried, and logged by the loop's schedule (once, then as a reminder).
      this.results.applyAll(run, checked);
      return checked ? { checked } : { checked, error: `csync2 -x: ${describeOutcome(run.outcome)}` };
    }
    const check = await client.checkAll();
    this.lastCheck = { at: performance.now(), sendsUpdates: true };
    this.requestUpdates();
    if (check.outcome.kind === 'ok') return { checked: true };
    return { checked: false, error: `csync2 -cr /: ${describeOutcome(check.outcome)}` };
  }

  /** Every peer's pipeline sends what is dirty for it (a peer in backoff when its backoff ends). */
  requestUpdates(): void {
    for (const peer of this.peers) peer.pending = true;
    for (const updater of this.updaters) updater.request();
  }

  /** Resolves once no peer update runs (start-up and recovery wait for their updates). */
  async settled(): Promise<void> {
    await Promise.all(this.updaters.map((updater) => updater.settled()));
  }

  stop(): void {
    for (const updater of this.updaters) updater.stop();
  }

  /**
   * `csync2 -u [-b] -P PEER`; a run that lost csync2's lock race is run again
   * (not the peer's fault). An update that does no I/O for answerMs waits on a
   * peer that does not answer: it is ended, and the peer retried with backoff.
   * While the peer does not answer, its retries run outside the gate, so they
   * never hold this node's checks back.
   */
  private async updateOne(peer: PeerHealth): Promise<Csync2Run> {
    const options = { idleTimeoutMs: this.options.answerMs ?? 5000, gated: !this.notAnswering.has(peer.name) };
    let run = await this.options.client.update(peer.name, options);
    for (let retry = 0; run.outcome.kind === 'locked' && retry < 3; retry++) run = await this.options.client.update(peer.name, options);
    if (run.outcome.kind === 'timeout' && run.outcome.detail.startsWith('no answer')) this.notAnswering.add(peer.name);
    else if (run.outcome.kind !== 'timeout') this.notAnswering.delete(peer.name);
    return run;
  }

  /** Peers whose last update was ended for doing nothing (a frozen host). */
  private readonly notAnswering = new Set<string>();
}

/** A failed csync2 call's outcome in one phrase: its kind and csync2's words. */
function describeOutcome(outcome: Csync2Outcome): string {
  return 'detail' in outcome ? `${outcome.kind}: ${outcome.detail}` : outcome.kind;
}

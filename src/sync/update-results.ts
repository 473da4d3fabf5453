import type { Logger } from '../log/logger.js';
import type { Csync2Run } from './csync2-client.js';
import { unreachableLine, unreachablePeers } from './csync2-outcome.js';
import {
  DEFAULT_BACKOFF,
  PEER_ERROR_BACKOFF,
  recordFailure,
  recordSuccess,
  type BackoffPolicy,
  type PeerHealth,
  type PeerLogLine,
} from './peer-health.js';

/** Failures that are not the peer's (a lock, a busy database): retried soon, never more than 5 s apart. */
export const LOCAL_FAILURE_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 5000, reminderMs: 300_000 };

export interface UpdateResultsOptions {
  peers: readonly PeerHealth[];
  log: Logger;
  /** For a peer that cannot be reached. @default DEFAULT_BACKOFF */
  backoff?: BackoffPolicy;
  /** A peer's update succeeded: it started at `startedAt` (performance.now()) and ended at `endedAt` (epoch ms). */
  onPeerUpdated?: (peer: string, startedAt: number, endedAt: number) => void;
  /** csync2 named a dirty file it could not find (`%prefix%/path` or a path): check it again. */
  onStalePath?: (name: string) => void;
}

/**
 * What a finished `csync2 -u` (one peer's, or one run for all peers) means for
 * each peer's health: success, a conflict retried soon, files that vanished
 * under csync2, or an outage backed off up to a minute.
 */
export class UpdateResults {
  constructor(private readonly options: UpdateResultsOptions) {}

  /** One peer's `csync2 -u -P PEER` ended; true when it succeeded. */
  applyPeer(peer: PeerHealth, run: Csync2Run): boolean {
    const now = Date.now();
    if (run.outcome.kind === 'ok') {
      if (this.conflictSince.delete(peer.name)) this.options.log.info(`CONFLICT with ${peer.name} settled`);
      this.succeeded(peer, run, now);
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
    if (run.outcome.kind === 'conflict') {
      // The peer answered: not an outage. Its own update usually settles it; retried within seconds.
      this.noteConflict(peer, detail, now);
      return false;
    }
    this.report(recordFailure(peer, detail, now, this.policyFor(run)));
    return false;
  }

  /** A conflict is logged when it starts and once a minute while it lasts; the peer counts as reachable. */
  private noteConflict(peer: PeerHealth, detail: string, now: number): void {
    const since = this.conflictSince.get(peer.name);
    if (since === undefined || now - (this.conflictLoggedAt.get(peer.name) ?? 0) >= 60_000) {
      this.options.log.warn(`CONFLICT: ${peer.name} holds its own change of a file this node sends (${detail}); retrying, the newer version wins (csync2 compares mtimes in whole seconds: versions written in the same second stay in conflict until one changes again)`);
      this.conflictLoggedAt.set(peer.name, now);
    }
    if (since === undefined) this.conflictSince.set(peer.name, now);
    peer.pending = true;
    // Soon at first (the peer's own update may settle it); a lasting one every 5 s.
    peer.retryAt = now + (since !== undefined && now - since > 10_000 ? LOCAL_FAILURE_BACKOFF.maxMs : LOCAL_FAILURE_BACKOFF.initialMs);
  }

  private readonly conflictSince = new Map<string, number>();
  private readonly conflictLoggedAt = new Map<string, number>();

  /**
   * A peer that cannot be reached backs off up to a minute; a lock, a busy
   * database or a conflict is retried within seconds; any other error
   * (authentication, SSL) within seconds at first, up to a minute while it repeats.
   */
  private policyFor(run: Csync2Run): BackoffPolicy {
    const kind = run.outcome.kind;
    if (kind === 'peer-unreachable' || kind === 'timeout') return this.options.backoff ?? DEFAULT_BACKOFF;
    return kind === 'failed' ? PEER_ERROR_BACKOFF : LOCAL_FAILURE_BACKOFF;
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
  applyAll(run: Csync2Run, full: boolean): boolean {
    const now = Date.now();
    if (run.outcome.kind === 'ok') {
      for (const peer of this.options.peers) this.succeeded(peer, run, now);
      return true;
    }
    const detail = 'detail' in run.outcome ? run.outcome.detail : run.outcome.kind;
    this.noteStalePaths(run.stderr);
    if (run.outcome.kind === 'vanished') {
      for (const peer of this.options.peers) {
        peer.pending = true;
        peer.retryAt = now + LOCAL_FAILURE_BACKOFF.initialMs;
      }
      return false;
    }
    const unreachable = unreachablePeers(run.stderr);
    for (const peer of this.options.peers) {
      if (unreachable.size === 0 || unreachable.has(peer.name)) {
        this.report(recordFailure(peer, unreachable.size ? unreachableLine(peer.name) : detail, now, unreachable.size ? (this.options.backoff ?? DEFAULT_BACKOFF) : this.policyFor(run)));
      } else {
        this.succeeded(peer, run, now);
      }
    }
    if (full) this.options.log.warn(`csync2 -x finished with errors: ${detail}`);
    return false;
  }

  private succeeded(peer: PeerHealth, run: Csync2Run, now: number): void {
    this.report(recordSuccess(peer, now));
    this.options.onPeerUpdated?.(peer.name, performance.now() - run.durationMs, now);
  }

  private report(line: PeerLogLine): void {
    if (!line) return;
    if (line.level === 'warn') this.options.log.warn(line.message);
    else this.options.log.info(line.message);
  }
}

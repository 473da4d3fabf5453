import { saysPeerUnreachable } from './csync2-outcome.js';
/** What the daemon knows of one peer's updates. */
export interface PeerHealth {
  name: string;
  readOnly: boolean;
  /** Failed update attempts in a row. */
  failures: number;
  /** Epoch ms before which no update is tried (backoff). */
  retryAt: number;
  lastSuccessAt?: number;
  /** When the current run of failures began. */
  failingSince?: number;
  lastError?: string;
  /** How many of the failures in a row had the same error as the last one. */
  repeats?: number;
  /** Last time the failure was written to the log. */
  lastReportedAt?: number;
  /** Dirty entries for this peer may be waiting in csync2's database. */
  pending: boolean;
}

export interface BackoffPolicy {
  /** First retry delay. @default 1000 */
  initialMs: number;
  /** Cap of the exponential backoff. @default 60000 */
  maxMs: number;
  /** A cap for the same error coming again and again: it is no passing one. @default maxMs */
  repeatedMaxMs?: number;
  /** A failing peer is mentioned again in the log this often. @default 300000 */
  reminderMs: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { initialMs: 1000, maxMs: 60_000, reminderMs: 300_000 };

/**
 * A peer that answered with an error (authentication, SSL, a refused
 * identification, its own failure): retried within 5 s at first, like a
 * passing fault; while the same error repeats, backing off up to 60 s.
 */
export const PEER_ERROR_BACKOFF: BackoffPolicy = { initialMs: 500, maxMs: 5000, repeatedMaxMs: 60_000, reminderMs: 300_000 };

export function newPeerHealth(name: string, readOnly: boolean): PeerHealth {
  return { name, readOnly, failures: 0, retryAt: 0, pending: false };
}

/** Capped exponential backoff: 1 s, 2 s, 4 s, ... up to maxMs. */
export function backoffDelay(failures: number, policy: BackoffPolicy): number {
  if (failures <= 0) return 0;
  return Math.min(policy.maxMs, policy.initialMs * 2 ** Math.min(failures - 1, 30));
}

export type PeerLogLine = { level: 'info' | 'warn'; message: string } | undefined;

/** Records a successful update; returns the one log line a recovery deserves. */
export function recordSuccess(peer: PeerHealth, now: number): PeerLogLine {
  const wasFailing = peer.failures > 0;
  const since = peer.failingSince;
  peer.failures = 0;
  peer.retryAt = 0;
  peer.lastSuccessAt = now;
  peer.failingSince = undefined;
  peer.lastError = undefined;
  peer.repeats = undefined;
  peer.lastReportedAt = undefined;
  peer.pending = false;
  if (!wasFailing) return undefined;
  const down = since === undefined ? '' : ` after ${Math.round((now - since) / 1000)} s`;
  return { level: 'info', message: `peer ${peer.name} is reachable again${down}; its pending changes were sent` };
}

/**
 * Records a failed update; logs on the first failure, on a changed error and as
 * a periodic reminder only. The same error again backs off up to the policy's repeatedMaxMs.
 */
export function recordFailure(peer: PeerHealth, error: string, now: number, policy: BackoffPolicy): PeerLogLine {
  const first = peer.failures === 0;
  const changed = peer.lastError !== error;
  peer.failures++;
  peer.repeats = first || changed ? 1 : (peer.repeats ?? 0) + 1;
  peer.failingSince ??= now;
  const cap = peer.repeats >= 2 ? (policy.repeatedMaxMs ?? policy.maxMs) : policy.maxMs;
  peer.retryAt = now + backoffDelay(peer.failures, { ...policy, maxMs: cap });
  peer.lastError = error;
  peer.pending = true;
  const remind = peer.lastReportedAt !== undefined && now - peer.lastReportedAt >= policy.reminderMs;
  if (!first && !changed && !remind) return undefined;
  peer.lastReportedAt = now;
  const retry = Math.round((peer.retryAt - now) / 1000);
  if (first) return { level: 'warn', message: `update of peer ${peer.name} failed: ${error}; retrying with backoff (next in ${retry} s), changes stay queued in csync2's database` };
  const since = new Date(peer.failingSince).toISOString();
  return { level: 'warn', message: `peer ${peer.name} still failing since ${since} (${peer.failures} attempts): ${error}; next retry in ${retry} s` };
}

/** A peer whose last csync2 update could not connect: rsync would only wait for its own timeouts there. */
export function peerUnreachable(peer: Pick<PeerHealth, 'failures' | 'lastError'>): boolean {
  return peer.failures > 0 && saysPeerUnreachable(peer.lastError ?? '');
}

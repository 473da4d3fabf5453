import type { WatchLimit } from './watch-limit.js';

/** A root under which a watch could not be added (the inotify watch limit): what `status` and the metrics show. */
export interface WatchLimitReached {
  root: string;
  /** Epoch ms when a watch under the root first could not be added. */
  since: number;
  /** Directories under the root that no watch covers, as last counted (undefined until counted). */
  unwatchedDirectories?: number;
  /** Epoch ms of the last scheduled check of the root (`csync2 -cr ROOT`). */
  lastCheckAt?: number;
  /** How often the root is checked while the state lasts. */
  checkEveryMs: number;
  /** The watch limit in force when the status was taken. */
  limit?: WatchLimit;
}

/** What the supervisor should do now for a root in this state. */
export type WatchLimitAction =
  /** Queue `path` for a check (`csync2 -cr PATH`, then the peers' updates). */
  | { kind: 'check'; root: string; path: string }
  /** Try to add the missing watches, then report with `retried`. */
  | { kind: 'retry'; root: string }
  /** Warn again that the state lasts. */
  | { kind: 'remind'; root: string; entry: WatchLimitReached };

export interface WatchLimitSettings {
  /** A scheduled check of the whole root this often. @default 30000 */
  checkEveryMs?: number;
  /** A directory that could not be watched is checked this long after (a writer usually fills a new directory at once). @default 2000 */
  firstCheckMs?: number;
  /** The watches are tried again this often, and at once when the limit rises. @default 30000 */
  retryEveryMs?: number;
  /** How often the limit is read while the state lasts. @default 5000 */
  pollLimitMs?: number;
  /** A warning that the state lasts, this often. @default 300000 */
  reminderMs?: number;
}

interface RootState {
  since: number;
  nextCheckAt: number;
  lastCheckAt?: number;
  /** Directories that could not be watched, each checked once soon after. */
  dirChecks: Map<string, number>;
  nextRetryAt: number;
  /** The limit when the watches were last tried; a higher one is worth trying at once. */
  limitAtRetry?: number;
  retrying: boolean;
  nextRemindAt: number;
  unwatched?: number;
}

/**
 * The inotify watch limit reached after start-up leaves directories without a
 * watch: changes in them are never reported. This keeps that state per root
 * until every directory is watched again: a `csync2 -cr` of the root every 30 s
 * (and of each directory that failed, 2 s after), a retry of the watches every
 * 30 s and as soon as the limit rises, and a reminder every 5 min. A plain
 * state machine: every method takes the time, `nextAt` says when to call `due`.
 */
export class WatchLimitState {
  private readonly roots = new Map<string, RootState>();
  private readonly checkEveryMs: number;
  private readonly firstCheckMs: number;
  private readonly retryEveryMs: number;
  private readonly pollLimitMs: number;
  private readonly reminderMs: number;
  private nextPollAt = Number.POSITIVE_INFINITY;

  constructor(settings: WatchLimitSettings = {}) {
    this.checkEveryMs = settings.checkEveryMs ?? 30_000;
    this.firstCheckMs = settings.firstCheckMs ?? 2000;
    this.retryEveryMs = settings.retryEveryMs ?? 30_000;
    this.pollLimitMs = settings.pollLimitMs ?? 5000;
    this.reminderMs = settings.reminderMs ?? 300_000;
  }

  /** `dir` under `root` could not be watched (at `limit`). True when the root enters the state now. */
  unwatchable(root: string, dir: string, now: number, limit?: number): boolean {
    const existing = this.roots.get(root);
    if (existing) {
      if (dir !== root && !existing.dirChecks.has(dir) && existing.nextCheckAt > now + this.firstCheckMs) existing.dirChecks.set(dir, now + this.firstCheckMs);
      return false;
    }
    this.roots.set(root, {
      since: now,
      nextCheckAt: now + this.firstCheckMs,
      dirChecks: new Map(),
      nextRetryAt: now + this.firstCheckMs,
      limitAtRetry: limit,
      retrying: false,
      nextRemindAt: now + this.reminderMs,
    });
    this.nextPollAt = Math.min(this.nextPollAt, now + this.pollLimitMs);
    return true;
  }

  /** How often a root in the state is checked. */
  get checkInterval(): number {
    return this.checkEveryMs;
  }

  isLimited(root: string): boolean {
    return this.roots.has(root);
  }

  /** The limit read at `now`: a rise makes a retry due at once for every root in the state. */
  limitRead(limit: number | undefined, now: number): void {
    if (this.roots.size === 0) return;
    this.nextPollAt = now + this.pollLimitMs;
    if (limit === undefined) return;
    for (const state of this.roots.values()) {
      if (state.limitAtRetry !== undefined && limit > state.limitAtRetry) state.nextRetryAt = Math.min(state.nextRetryAt, now);
    }
  }

  /** What is due at `now`; each action is handed out once. */
  due(now: number): WatchLimitAction[] {
    const actions: WatchLimitAction[] = [];
    for (const [root, state] of this.roots) {
      if (now >= state.nextCheckAt) {
        actions.push({ kind: 'check', root, path: root });
        state.lastCheckAt = now;
        state.nextCheckAt = now + this.checkEveryMs;
        state.dirChecks.clear();
      }
      for (const [dir, at] of state.dirChecks) {
        if (now < at) continue;
        actions.push({ kind: 'check', root, path: dir });
        state.dirChecks.delete(dir);
      }
      if (now >= state.nextRetryAt && !state.retrying) {
        actions.push({ kind: 'retry', root });
        state.retrying = true;
      }
      if (now >= state.nextRemindAt) {
        actions.push({ kind: 'remind', root, entry: this.entryOf(root, state) });
        state.nextRemindAt = now + this.reminderMs;
      }
    }
    return actions;
  }

  /**
   * A retry ended at `now`: `unwatched` directories are left (undefined: could
   * not count, e.g. the root's watcher is restarting), at `limit`. Returns the
   * state that ends when none is left.
   */
  retried(root: string, now: number, unwatched: number | undefined, limit?: number): WatchLimitReached | undefined {
    const state = this.roots.get(root);
    if (!state) return undefined;
    state.retrying = false;
    if (unwatched === 0) {
      this.roots.delete(root);
      if (this.roots.size === 0) this.nextPollAt = Number.POSITIVE_INFINITY;
      return this.entryOf(root, state);
    }
    if (unwatched !== undefined) state.unwatched = unwatched;
    state.limitAtRetry = limit ?? state.limitAtRetry;
    state.nextRetryAt = now + this.retryEveryMs;
    return undefined;
  }

  /** The earliest time `due` has something to do (or the limit should be read); undefined when no root is in the state. */
  nextAt(): number | undefined {
    if (this.roots.size === 0) return undefined;
    const times = [this.nextPollAt];
    for (const state of this.roots.values()) {
      times.push(state.nextCheckAt, state.nextRemindAt, ...state.dirChecks.values());
      if (!state.retrying) times.push(state.nextRetryAt);
    }
    return Math.min(...times);
  }

  /** The roots in the state, for `status` and the metrics. */
  snapshot(): WatchLimitReached[] {
    return [...this.roots].map(([root, state]) => this.entryOf(root, state));
  }

  private entryOf(root: string, state: RootState): WatchLimitReached {
    return { root, since: state.since, unwatchedDirectories: state.unwatched, lastCheckAt: state.lastCheckAt, checkEveryMs: this.checkEveryMs };
  }
}

import { existsSync } from 'node:fs';
import type { Logger } from '../log/logger.js';
import { rootOf } from '../paths/under-root.js';
import type { ChildProcesses } from '../process/child-processes.js';
import type { WatchEvent } from './event-record.js';
import { InotifyWatcher, WatchLimitError } from './inotify-watcher.js';
import { excludeRegexMatcher } from './exclude-test.js';
import { directoriesUnder, topMostMissing, watchedInodes } from './watch-audit.js';
import { RestartBackoff } from './restart-backoff.js';
import { raiseLimitAdvice, readWatchLimit, type WatchLimit } from './watch-limit.js';
import { WatchLimitState, type WatchLimitReached, type WatchLimitSettings } from './watch-limit-state.js';

export interface WatchSupervisorOptions {
  roots: string[];
  excludeRegex?: string;
  children: ChildProcesses;
  log: Logger;
  onEvent: (event: WatchEvent) => void;
  /** A watcher was restarted (or its root came back): changes made meanwhile need a full sync. */
  onRestarted: (root: string) => void;
  /** inotifywait missed directories under `dir`; they are watched now and `dir` must be checked (`-cr`). */
  onRepaired: (dir: string) => void;
  /** `path` holds directories no watch covers (the watch limit): it must be checked (`-cr`). @default onRepaired */
  checkPath?: (path: string) => void;
  /** Timing of the watch-limit state (tests shorten it). */
  watchLimit?: WatchLimitSettings;
  /** Reads the inotify watch limit in force. @default readWatchLimit */
  readLimit?: () => WatchLimit | undefined;
  /** Wait after a new directory before checking its watches. @default 300 */
  auditDelayMs?: number;
  setupTimeoutMs?: number;
  /** A watcher that ran this long restarts after the shortest delay again. @default 30000 */
  steadyMs?: number;
}

/** How a new directory event looks: inotifywait -r adds watches for it, which can race (see auditNewDirectories). */
function isNewDirectory(event: WatchEvent): boolean {
  return event.isDir && (event.events.includes('CREATE') || event.events.includes('MOVED_TO'));
}

/** A duration for a log line ("0.3 s", "30 s", "5 min"); status/ has the full formatter, and imports from here. */
function formatDuration(ms: number): string {
  if (ms < 10_000) return `${(ms / 1000).toFixed(1)} s`;
  return ms < 120_000 ? `${Math.round(ms / 1000)} s` : `${Math.round(ms / 60_000)} min`;
}

/** Supplementary watchers of one root before its main watcher is renewed instead. */
const MAX_SUPPLEMENTARY = 8;

const RESTART_BACKOFF = { initialMs: 500, maxMs: 30_000, reminderMs: 300_000 };
const ROOT_POLL_MS = 2000;

/**
 * One inotifywait per include root, kept alive: a watcher that dies is
 * restarted with backoff, and a root that is gone is waited for and watched
 * again when it returns; each restart asks for a full sync.
 */
export class WatchSupervisor {
  private readonly watchers = new Map<string, InotifyWatcher>();
  private readonly restarts = new Map<string, RestartBackoff>();
  private readonly timers = new Set<NodeJS.Timeout>();
  /** Extra watchers on subtrees the main watcher missed, by directory. */
  private readonly supplementary = new Map<string, InotifyWatcher>();
  private readonly newDirectories = new Set<string>();
  private readonly consolidating = new Set<string>();
  private auditTimer: NodeJS.Timeout | undefined;
  private readonly skip: (path: string) => boolean;
  private stopped = false;
  /** Roots with directories the watch limit left unwatched: checked on a schedule until watched again. */
  private readonly limitState: WatchLimitState;
  private limitTimer: NodeJS.Timeout | undefined;
  /** Directories repaired since start (for status and tests). */
  repairs = 0;

  constructor(private readonly options: WatchSupervisorOptions) {
    this.skip = excludeRegexMatcher(options.excludeRegex);
    this.limitState = new WatchLimitState(options.watchLimit);
  }

  private readLimit(): WatchLimit | undefined {
    return (this.options.readLimit ?? readWatchLimit)();
  }

  private handleEvent(event: WatchEvent): void {
    this.options.onEvent(event);
    if (isNewDirectory(event) && event.validUtf8) {
      this.newDirectories.add(event.path);
      this.auditTimer ??= setTimeout(() => {
        this.auditTimer = undefined;
        void this.auditNewDirectories();
      }, this.options.auditDelayMs ?? 300);
    }
  }

  private rootOf(path: string): string | undefined {
    return rootOf(path, this.options.roots);
  }

  /**
   * inotifywait -r (3.22) can permanently miss a subdirectory created right
   * after its new parent: files written there later are never reported. After
   * a burst of new directories, compare the directories under them with the
   * inodes the watchers hold (/proc/PID/fdinfo) and put a supplementary
   * watcher on each subtree that was missed, then have it checked.
   */
  private async auditNewDirectories(): Promise<void> {
    if (this.stopped) return;
    const dirs = [...this.newDirectories].sort();
    this.newDirectories.clear();
    const skip = this.skip;
    const byRoot = new Map<string, Set<number> | undefined>();
    for (const [index, dir] of dirs.entries()) {
      if (rootOf(dir, dirs.slice(0, index)) !== undefined) continue;
      const root = this.rootOf(dir);
      if (root === undefined) continue;
      if (!byRoot.has(root)) byRoot.set(root, this.watchedUnder(root));
      const watched = byRoot.get(root);
      if (!watched) continue;
      const missing = topMostMissing(directoriesUnder(dir, skip), watched);
      if (missing.length > 0) this.confirmLater(root, missing);
    }
  }

  /** inotifywait may just be slow to add its watches under load: repair only what is still unwatched a moment later. */
  private confirmLater(root: string, candidates: string[]): void {
    this.later(this.options.auditDelayMs ?? 700, () => {
      void (async () => {
        // At the watch limit the scheduled retries add the missing watches, once the limit allows.
        if (this.stopped || this.limitState.isLimited(root)) return;
        const watched = this.watchedUnder(root);
        if (!watched) return;
        const skip = this.skip;
        const stillMissing = candidates.flatMap((dir) => topMostMissing(directoriesUnder(dir, skip), watched));
        for (const lost of stillMissing) {
          const outcome = await this.repair(lost, 'race');
          if (outcome === 'limit') {
            this.noteUnwatchable(root, lost, `inotifywait could not watch the new directory ${lost}`);
            break;
          }
        }
      })();
    });
  }

  /** Union of the inodes watched by the main and supplementary watchers of a root; undefined while its main watcher is down. */
  private watchedUnder(root: string): Set<number> | undefined {
    const pids = [this.watchers.get(root)?.pid];
    // A main watcher that is down watches nothing yet: its restart asks for a full sync, there is nothing to repair.
    if (pids[0] === undefined) return undefined;
    for (const [dir, watcher] of this.supplementary) if (this.rootOf(dir) === root) pids.push(watcher.pid);
    const all = new Set<number>();
    for (const pid of pids) {
      if (pid === undefined) continue;
      const inodes = watchedInodes(pid);
      if (!inodes) return undefined;
      for (const ino of inodes) all.add(ino);
    }
    return all;
  }

  /**
   * Puts a supplementary watcher on `dir`: after the inotifywait -r race
   * (`race`, warned before), or to add watches the limit refused before
   * (`limit`, quiet: the caller reports). A watch the limit refuses again is
   * the caller's to handle.
   */
  private async repair(dir: string, why: 'race' | 'limit'): Promise<'watched' | 'limit' | 'gone' | 'failed'> {
    const { log } = this.options;
    if (this.supplementary.has(dir)) return 'watched';
    if (why === 'race') log.warn(`INOTIFY: inotifywait missed the new directory ${dir} (a known inotifywait -r race); watching it with a supplementary watcher and checking it`);
    const watcher = new InotifyWatcher({
      root: dir,
      excludeRegex: this.options.excludeRegex,
      children: this.options.children,
      log,
      onEvent: (event) => this.handleEvent(event),
      onUnwatchable: (lost) => this.unwatchableReported(lost),
      onExit: () => {
        // The directory was removed or renamed: its events now come from the main watcher, if any.
        this.supplementary.delete(dir);
      },
    });
    this.supplementary.set(dir, watcher);
    try {
      await watcher.start();
      this.repairs++;
      if (why === 'limit') log.debug(`INOTIFY: watching ${dir}, which the watch limit had left unwatched, with a supplementary watcher`);
      this.options.onRepaired(dir);
      this.consolidateLater(dir);
      return 'watched';
    } catch (error) {
      this.supplementary.delete(dir);
      // Gone again already (renamed or removed): its parent's events cover what happened to it.
      if (!existsSync(dir)) return 'gone';
      if (error instanceof WatchLimitError) return 'limit';
      log.warn(`INOTIFY: could not watch ${dir}: ${(error as Error).message}; a full sync follows`);
      this.options.onRestarted(dir);
      return 'failed';
    }
  }

  /** inotifywait said the kernel refused a watch on `dir` (the watch limit). */
  private unwatchableReported(dir: string): void {
    const root = this.rootOf(dir);
    if (root !== undefined) this.noteUnwatchable(root, dir, `inotifywait could not watch the new directory ${dir}`);
  }

  /**
   * A watch under `root` was refused at the watch limit: a lasting state, not
   * one line. The root is checked on a schedule and the watches are tried
   * again until every directory under it is watched.
   */
  private noteUnwatchable(root: string, dir: string, what: string): void {
    if (this.stopped) return;
    const limit = this.readLimit();
    const every = formatDuration(this.limitState.checkInterval);
    if (this.limitState.unwatchable(root, dir, Date.now(), limit?.value)) {
      this.options.log.warn(
        `WATCH LIMIT: ${what} (the inotify watch limit is reached); changes under ${root} are checked with csync2 -cr every ${every} until the watches can be added: ${raiseLimitAdvice(limit)}`,
      );
    } else {
      this.options.log.debug(`WATCH LIMIT: ${what}; ${dir} is checked with csync2 -cr shortly`);
    }
    this.planLimitTimer();
  }

  private planLimitTimer(): void {
    clearTimeout(this.limitTimer);
    this.limitTimer = undefined;
    const next = this.limitState.nextAt();
    if (next === undefined || this.stopped) return;
    this.limitTimer = setTimeout(() => this.limitTick(), Math.max(0, next - Date.now()));
  }

  /** Reads the limit, then runs what the watch-limit state says is due: checks, retries, reminders. */
  private limitTick(): void {
    this.limitTimer = undefined;
    if (this.stopped) return;
    const now = Date.now();
    const limit = this.readLimit();
    this.limitState.limitRead(limit?.value, now);
    for (const action of this.limitState.due(now)) {
      if (action.kind === 'check') {
        this.options.log.debug(`WATCH LIMIT: checking ${action.path}, which holds directories no watch covers`);
        (this.options.checkPath ?? this.options.onRepaired)(action.path);
      } else if (action.kind === 'remind') {
        const { entry } = action;
        const count = entry.unwatchedDirectories !== undefined ? `${entry.unwatchedDirectories} directories under ${entry.root}` : `directories under ${entry.root}`;
        this.options.log.warn(
          `WATCH LIMIT: ${count} still unwatched, for ${formatDuration(now - entry.since)} now; checked with csync2 -cr every ${formatDuration(entry.checkEveryMs)}: ${raiseLimitAdvice(limit)}`,
        );
      } else {
        void this.retryWatches(action.root);
      }
    }
    this.planLimitTimer();
  }

  /** Tries to watch every directory under `root` that no watch covers; the state ends when none is left. */
  private async retryWatches(root: string): Promise<void> {
    let unwatched: number | undefined;
    let limit: WatchLimit | undefined;
    try {
      limit = this.readLimit();
      // One walk of the tree per retry (it holds the event loop): counted again against the watches after the repairs.
      const dirs = directoriesUnder(root, this.skip);
      const before = this.watchedUnder(root);
      if (before) {
        const missing = topMostMissing(dirs, before);
        for (const dir of missing) {
          // The first refusal tells the limit still stands: the rest would be refused too.
          if ((await this.repair(dir, 'limit')) === 'limit' || this.stopped) break;
        }
        const after = missing.length > 0 ? this.watchedUnder(root) : before;
        unwatched = after ? dirs.filter((dir) => !after.has(dir.ino)).length : undefined;
      }
    } catch (error) {
      this.options.log.debug(`WATCH LIMIT: retrying the watches under ${root} failed: ${error instanceof Error ? error.message : String(error)}`);
      unwatched = undefined;
    }
    if (this.stopped) return;
    const ended = this.limitState.retried(root, Date.now(), unwatched, limit?.value);
    if (ended) {
      this.options.log.info(
        `WATCH LIMIT: every directory under ${root} is watched again (${limit ? `${limit.name} is ${limit.value}` : 'the limit was raised'}; unwatched for ${formatDuration(Date.now() - ended.since)}); checking ${root} once more`,
      );
      (this.options.checkPath ?? this.options.onRepaired)(root);
    }
    this.planLimitTimer();
  }

  /** Roots where the watch limit left directories unwatched (for status and the metrics). */
  watchLimitReached(): WatchLimitReached[] {
    const entries = this.limitState.snapshot();
    if (entries.length === 0) return entries;
    const limit = this.readLimit();
    return entries.map((entry) => ({ ...entry, limit }));
  }

  get roots(): string[] {
    return this.options.roots;
  }

  pids(): number[] {
    return [...this.watchers.values(), ...this.supplementary.values()].map((w) => w.pid).filter((pid): pid is number => pid !== undefined);
  }

  /** Starts every watcher and waits until all have established their watches. */
  async start(): Promise<void> {
    await Promise.all(this.options.roots.map((root) => this.startRoot(root)));
  }

  private async startRoot(root: string): Promise<void> {
    const { log } = this.options;
    const watcher = new InotifyWatcher({
      root,
      excludeRegex: this.options.excludeRegex,
      children: this.options.children,
      log,
      onEvent: (event) => this.handleEvent(event),
      setupTimeoutMs: this.options.setupTimeoutMs,
      onUnwatchable: (dir) => this.unwatchableReported(dir),
      onExit: (reason) => this.handleExit(root, reason),
    });
    this.watchers.set(root, watcher);
    await watcher.start();
    this.backoffOf(root).started(Date.now());
  }

  private backoffOf(root: string): RestartBackoff {
    let backoff = this.restarts.get(root);
    if (!backoff) {
      backoff = new RestartBackoff(RESTART_BACKOFF, this.options.steadyMs);
      this.restarts.set(root, backoff);
    }
    return backoff;
  }

  private handleExit(root: string, reason: string): void {
    if (this.stopped) return;
    const { log } = this.options;
    this.watchers.delete(root);
    if (!existsSync(root)) {
      log.warn(`INOTIFY: watched root ${root} is gone (inotifywait ${reason}); waiting for it to return`);
      this.waitForRoot(root);
      return;
    }
    const delay = this.backoffOf(root).exited(Date.now());
    log.warn(`INOTIFY: inotifywait on ${root} ${reason}; restarting in ${(delay / 1000).toFixed(1)} s, then a full sync`);
    this.later(delay, () => void this.restart(root));
  }

  private waitForRoot(root: string): void {
    this.later(ROOT_POLL_MS, () => {
      if (existsSync(root)) {
        this.options.log.info(`INOTIFY: watched root ${root} is back; watching it again`);
        void this.restart(root);
      } else {
        this.waitForRoot(root);
      }
    });
  }

  private async restart(root: string): Promise<void> {
    if (this.stopped) return;
    // A fresh recursive watcher covers the whole root again: drop the supplementary ones under it.
    for (const [dir, watcher] of this.supplementary) {
      if (this.rootOf(dir) !== root) continue;
      this.supplementary.delete(dir);
      await watcher.stop();
    }
    try {
      await this.startRoot(root);
      this.options.log.info(`INOTIFY: watches on ${root} established again`);
      this.confirmLater(root, [root]);
      this.options.onRestarted(root);
    } catch (error) {
      if (error instanceof WatchLimitError) this.noteUnwatchable(root, root, `the restarted inotifywait could not watch ${root}`);
      this.handleExit(root, error instanceof Error ? error.message : String(error));
    }
  }

  /**
   * Many supplementary watchers cost a process each: past a few, a new main
   * watcher is started for the root while the old ones still run (so there is
   * no gap), then the old main and the supplementary watchers are stopped.
   */
  private consolidateLater(dir: string): void {
    const root = this.rootOf(dir);
    if (root === undefined) return;
    const under = [...this.supplementary.keys()].filter((d) => this.rootOf(d) === root);
    if (under.length <= MAX_SUPPLEMENTARY || this.consolidating.has(root)) return;
    this.consolidating.add(root);
    this.later(2000, () => {
      void this.consolidate(root).finally(() => this.consolidating.delete(root));
    });
  }

  private async consolidate(root: string): Promise<void> {
    if (this.stopped) return;
    const old = this.watchers.get(root);
    const replaced = [...this.supplementary].filter(([dir]) => this.rootOf(dir) === root);
    try {
      await this.startRoot(root);
    } catch (error) {
      this.options.log.warn(`INOTIFY: could not renew the watcher of ${root}: ${(error as Error).message}`);
      if (old) this.watchers.set(root, old);
      return;
    }
    this.options.log.info(`INOTIFY: renewed the watcher of ${root} in place of ${replaced.length} supplementary watchers`);
    for (const [dir, watcher] of replaced) {
      this.supplementary.delete(dir);
      await watcher.stop();
    }
    await old?.stop();
    // The new watcher may have raced with directories made while it set up: check the whole root.
    this.confirmLater(root, [root]);
  }

  private later(ms: number, action: () => void): void {
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      action();
    }, ms);
    this.timers.add(timer);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    clearTimeout(this.auditTimer);
    clearTimeout(this.limitTimer);
    await Promise.all([...this.watchers.values(), ...this.supplementary.values()].map((watcher) => watcher.stop()));
    this.watchers.clear();
    this.supplementary.clear();
  }
}

import { createPathMatcher, inotifyExcludeRegex, isCsync2TempFile } from '../config/index.js';
import type { SyncScope } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { createEventFilter } from './event-filter.js';
import type { EventIntake } from './event-intake.js';
import { excludeRegexMatcher } from './exclude-test.js';
import { LoopStallMonitor } from './loop-stall.js';
import { WatchLimitError } from './inotify-watcher.js';
import { countWatchedDirectories, readMaxUserWatches, watchLimitMessage } from './watch-limit.js';
import type { WatchLimitReached } from './watch-limit-state.js';
import { WatchSupervisor } from './watch-supervisor.js';

export interface WatchSetsOptions {
  children: ChildProcesses;
  log: Logger;
  intake: EventIntake;
  /** A watcher was restarted: what changed meanwhile needs a full sync. */
  onRestarted: (root: string) => void;
  /** inotifywait missed directories under `dir`: they are watched now and `dir` must be checked. */
  onRepaired: (dir: string) => void;
}

/**
 * The watchers of the scope in force, and the new set a reload starts before
 * the old one stops (so no change falls between them); a stop ends both.
 */
export class WatchSets {
  private current: WatchSupervisor | undefined;
  private starting: WatchSupervisor | undefined;
  /** A stalled event loop reads no events: inotifywait's pipe fills and the kernel may drop events. */
  private readonly stalls: LoopStallMonitor;

  constructor(private readonly options: WatchSetsOptions) {
    this.stalls = new LoopStallMonitor({
      events: () => options.intake.events,
      onPossibleLoss: (cause) => options.intake.possibleLoss(cause),
      log: options.log,
    });
  }

  /** Starts watchers on the scope's roots; on failure none of them is left running. */
  async start(scope: SyncScope): Promise<WatchSupervisor> {
    const { log } = this.options;
    // Each set keeps its own filter: during a reload the old set still reports under the old rules.
    const filter = createEventFilter({ isIncluded: createPathMatcher(scope), isTempFile: isCsync2TempFile });
    const excludeRegex = inotifyExcludeRegex(scope);
    log.info(`INOTIFY: setting up watches on ${scope.watchRoots.join(', ')}${excludeRegex ? ` (not watching ${excludeRegex})` : ''}`);
    const started = Date.now();
    const watchers = new WatchSupervisor({
      roots: scope.watchRoots,
      excludeRegex,
      children: this.options.children,
      log,
      onEvent: (event) => this.options.intake.take(event, filter, scope.watchRoots),
      onRestarted: this.options.onRestarted,
      onRepaired: this.options.onRepaired,
    });
    this.starting = watchers;
    try {
      await watchers.start();
    } catch (error) {
      // The roots that did start must not run on unowned (they would double every event).
      await watchers.stop();
      // Never half-blind: inotifywait -r exits at the kernel's watch limit while it sets up, and the
      // daemon stops with the count and the fix (counting first would read every directory once more).
      if (!(error instanceof WatchLimitError)) throw error;
      const directories = countWatchedDirectories(scope.watchRoots, excludeRegexMatcher(excludeRegex), 10_000_000);
      throw new WatchLimitError(watchLimitMessage(directories, readMaxUserWatches()), { cause: error });
    } finally {
      if (this.starting === watchers) this.starting = undefined;
    }
    log.info(`INOTIFY: watches established in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return watchers;
  }

  /** Roots of the watchers in force where the watch limit left directories unwatched. */
  watchLimitReached(): WatchLimitReached[] {
    return this.current?.watchLimitReached() ?? [];
  }

  /** Puts `next` in force; returns the set it replaces, for the caller to stop. */
  swap(next: WatchSupervisor): WatchSupervisor | undefined {
    const old = this.current;
    this.current = next;
    this.stalls.start();
    return old;
  }

  async stop(): Promise<void> {
    this.stalls.stop();
    await Promise.all([this.current?.stop(), this.starting?.stop()]);
  }
}

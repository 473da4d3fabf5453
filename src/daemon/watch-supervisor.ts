import { existsSync } from 'node:fs';
import type { Logger } from '../log/logger.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { backoffDelay } from '../sync/peer-health.js';
import type { WatchEvent } from '../watch/event-record.js';
import { InotifyWatcher } from '../watch/inotify-watcher.js';

export interface WatchSupervisorOptions {
  roots: string[];
  excludeRegex?: string;
  children: ChildProcesses;
  log: Logger;
  onEvent: (event: WatchEvent) => void;
  /** A watcher was restarted (or its root came back): changes made meanwhile need a full sync. */
  onRestarted: (root: string) => void;
  setupTimeoutMs?: number;
}

const RESTART_BACKOFF = { initialMs: 500, maxMs: 30_000, reminderMs: 300_000 };
const ROOT_POLL_MS = 2000;

/**
 * One inotifywait per include root, kept alive: a watcher that dies is
 * restarted with backoff, and a root that is gone is waited for and watched
 * again when it returns; each restart asks for a full sync.
 */
export class WatchSupervisor {
  private readonly watchers = new Map<string, InotifyWatcher>();
  private readonly restarts = new Map<string, number>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private stopped = false;

  constructor(private readonly options: WatchSupervisorOptions) {}

  get roots(): string[] {
    return this.options.roots;
  }

  pids(): number[] {
    return [...this.watchers.values()].map((w) => w.pid).filter((pid): pid is number => pid !== undefined);
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
      onEvent: this.options.onEvent,
      setupTimeoutMs: this.options.setupTimeoutMs,
      onExit: (reason) => this.handleExit(root, reason),
    });
    this.watchers.set(root, watcher);
    await watcher.start();
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
    const attempt = (this.restarts.get(root) ?? 0) + 1;
    this.restarts.set(root, attempt);
    const delay = backoffDelay(attempt, RESTART_BACKOFF);
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
    try {
      await this.startRoot(root);
      this.options.log.info(`INOTIFY: watches on ${root} established again`);
      this.restarts.set(root, 0);
      this.options.onRestarted(root);
    } catch (error) {
      this.handleExit(root, error instanceof Error ? error.message : String(error));
    }
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
    await Promise.all([...this.watchers.values()].map((watcher) => watcher.stop()));
    this.watchers.clear();
  }
}

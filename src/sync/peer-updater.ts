import type { Logger } from '../log/logger.js';
import type { Csync2Run } from './csync2-client.js';
import type { PeerHealth } from './peer-health.js';

export interface PeerUpdaterOptions {
  /** The peer, or undefined for one `csync2 -u` to all peers (parallel_updates off). */
  peer: PeerHealth | undefined;
  /** Runs the update: `csync2 -u -P PEER` (or `csync2 -u`). */
  update: () => Promise<Csync2Run>;
  /** Records the result in the peers' health; true when it succeeded. */
  apply: (run: Csync2Run) => boolean;
  /** When the next attempt may run (backoff); 0 = now. */
  retryAt: () => number;
  log: Logger;
}

/**
 * One peer's own pipeline: an update runs whenever changes are pending for
 * it, one at a time, independently of the other peers and of the batches, so
 * a slow or frozen peer delays nobody else. Requests made while an update
 * runs are gathered into the next one; a failed update is retried when its
 * backoff ends, with whatever has come meanwhile.
 */
export class PeerUpdater {
  private requested = false;
  private running: Promise<void> | undefined;
  private retryTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** After an unexpected error: not before this time. */
  private notBefore = 0;

  constructor(private readonly options: PeerUpdaterOptions) {}

  /** Something was marked dirty for this peer: send it as soon as the pipeline is free. */
  request(): void {
    this.requested = true;
    this.kick();
  }

  /** Resolves once no update runs (a pending retry may follow later). */
  async settled(): Promise<void> {
    while (this.running) await this.running;
  }

  stop(): void {
    this.stopped = true;
    clearTimeout(this.retryTimer);
  }

  private kick(): void {
    if (this.running || this.stopped || !this.requested) return;
    const wait = Math.max(this.options.retryAt(), this.notBefore) - Date.now();
    if (wait > 0) {
      clearTimeout(this.retryTimer);
      this.retryTimer = setTimeout(() => this.kick(), wait);
      this.retryTimer.unref();
      return;
    }
    this.running = this.runOnce().finally(() => {
      this.running = undefined;
      this.kick();
    });
  }

  private async runOnce(): Promise<void> {
    const { peer, log } = this.options;
    this.requested = false;
    const name = peer?.name ?? 'all peers';
    try {
      const run = await this.options.update();
      // A failed run leaves its changes dirty in csync2's database: it is tried again after the backoff.
      if (!this.options.apply(run)) this.requested = true;
    } catch (error) {
      log.error(`update of ${name} failed: ${(error as Error).message}`);
      this.requested = true;
      this.notBefore = Date.now() + 1000;
    }
  }
}

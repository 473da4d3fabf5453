import { backoffDelay, type BackoffPolicy } from '../sync/peer-health.js';

/**
 * Restart delays of one supervised child. The backoff is reset only once the
 * child has run for `steadyMs`: one that starts and dies at once backs off to
 * the cap, rather than being restarted every half second forever.
 */
export class RestartBackoff {
  private failures = 0;
  private startedAt: number | undefined;

  constructor(
    private readonly policy: BackoffPolicy,
    /** How long a child must run before its next death counts as the first again. @default 30 s */
    private readonly steadyMs = 30_000,
  ) {}

  /** The child is running (its start succeeded) at `now`. */
  started(now: number): void {
    this.startedAt = now;
  }

  /** The child died (or could not start) at `now`: the delay before the next start. */
  exited(now: number): number {
    if (this.startedAt !== undefined && now - this.startedAt >= this.steadyMs) this.failures = 0;
    this.startedAt = undefined;
    this.failures++;
    return backoffDelay(this.failures, this.policy);
  }
}

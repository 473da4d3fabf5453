import { backoffDelay, DEFAULT_BACKOFF } from '../sync/peer-health.js';

/**
 * Paths whose csync2 check failed: kept until a later batch carries them, or
 * retried on their own once their backoff ends (consecutive failing batches
 * lengthen it). Every method takes the time: no clock of its own.
 */
export class PathRetry {
  private readonly paths = new Set<string>();
  private failures = 0;
  private at = 0;

  /** A batch ended; `failed` are its paths to try again. */
  record(failed: readonly string[], now: number): void {
    for (const path of failed) this.paths.add(path);
    if (failed.length === 0) {
      this.failures = 0;
      return;
    }
    this.failures++;
    this.at = now + backoffDelay(this.failures, DEFAULT_BACKOFF);
  }

  get size(): number {
    return this.paths.size;
  }

  /** Hands every waiting path over (into a batch, or for a retry of their own). */
  take(): string[] {
    const paths = [...this.paths];
    this.paths.clear();
    return paths;
  }

  due(now: number): boolean {
    return this.paths.size > 0 && now >= this.at;
  }

  nextAt(): number | undefined {
    return this.paths.size > 0 ? this.at : undefined;
  }
}

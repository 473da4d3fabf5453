/** A histogram as the status file and `status --json` carry it: cumulative counts per upper bound, as Prometheus counts them. */
export interface HistogramSnapshot {
  /** Observations at most `le` seconds, for each bound in increasing order (+Inf is `count`). */
  buckets: Array<{ le: number; count: number }>;
  count: number;
  /** Sum of all observations, in seconds. */
  sum: number;
}

/** Batches and latency, judged against the 2 s a change may take to reach every peer. */
export const SHORT_BUCKETS: readonly number[] = [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60];
/** A full sync walks the whole tree: seconds on a small one, many minutes on millions of files. */
export const FULL_SYNC_BUCKETS: readonly number[] = [0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

/** Fixed-bucket histogram of durations in seconds: constant memory however many observations. */
export class Histogram {
  private readonly bounds: number[];
  /** Observations per bucket (not cumulative); the last slot is above every bound. */
  private readonly counts: number[];
  private sum = 0;

  constructor(bounds: readonly number[]) {
    if (bounds.length === 0 || bounds.some((bound, i) => !Number.isFinite(bound) || (i > 0 && bound <= (bounds[i - 1] ?? 0)))) {
      throw new RangeError(`histogram bounds must be finite and increasing, got [${bounds.join(', ')}]`);
    }
    this.bounds = [...bounds];
    this.counts = new Array<number>(bounds.length + 1).fill(0);
  }

  observe(seconds: number): void {
    // A clock step backwards can make a measured time negative: it counts as zero, not as an error.
    const value = Number.isFinite(seconds) ? Math.max(0, seconds) : 0;
    let index = this.bounds.findIndex((bound) => value <= bound);
    if (index === -1) index = this.bounds.length;
    this.counts[index] = (this.counts[index] ?? 0) + 1;
    this.sum += value;
  }

  snapshot(): HistogramSnapshot {
    let running = 0;
    const buckets = this.bounds.map((le, index) => {
      running += this.counts[index] ?? 0;
      return { le, count: running };
    });
    return { buckets, count: running + (this.counts[this.bounds.length] ?? 0), sum: this.sum };
  }
}

import { closeSync, openSync, writeSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { encodeRecord } from '../../src/queue/records.js';

/** A path like those of a web tree with 1,700 directories (about 60 bytes a record). */
function pathOf(i: number, distinct: number): string {
  const n = i % distinct;
  return `/srv/www/site-${n % 17}/dir-${String(n % 1700).padStart(4, '0')}/file-${String(n).padStart(6, '0')}.html`;
}

/** Writes a queue file of at least `bytes` bytes (`distinct` paths repeated in turn); returns its records. */
export function writeQueueFile(file: string, bytes: number, distinct: number): number {
  const fd = openSync(file, 'w', 0o600);
  let written = 0;
  let records = 0;
  try {
    while (written < bytes) {
      const block: string[] = [];
      for (let i = 0; i < 100_000; i++) block.push(encodeRecord(pathOf(records + i, distinct)));
      records += block.length;
      written += writeSync(fd, block.join(''));
    }
  } finally {
    closeSync(fd);
  }
  return records;
}

export interface StallReport {
  /** Wall time of the work, ms. */
  ms: number;
  /** Longest event-loop delay perf_hooks saw, ms. */
  maxDelayMs: number;
  /** p99 of the event-loop delay, ms. */
  p99DelayMs: number;
  /** Longest gap between two runs of a 10 ms interval (what a watchdog ping or a timer sees), ms. */
  maxGapMs: number;
  /** How often the 10 ms interval ran during the work. */
  ticks: number;
}

/** Runs `work` while a 10 ms interval and perf_hooks watch the event loop: how long did it stand still? */
export async function measureStall(work: () => Promise<unknown>): Promise<StallReport> {
  const histogram = monitorEventLoopDelay({ resolution: 10 });
  let last = performance.now();
  let maxGapMs = 0;
  let ticks = 0;
  const probe = setInterval(() => {
    const now = performance.now();
    maxGapMs = Math.max(maxGapMs, now - last);
    last = now;
    ticks++;
  }, 10);
  histogram.enable();
  // Let the probe start before the work does.
  await new Promise((resolve) => setTimeout(resolve, 30));
  last = performance.now();
  ticks = 0;
  const started = performance.now();
  let failure: unknown;
  try {
    await work();
  } catch (error) {
    failure = error;
  }
  const ms = performance.now() - started;
  const ticksDuring = ticks;
  // One more timer turn, so a stall that lasted until the end is sampled too.
  await new Promise((resolve) => setTimeout(resolve, 30));
  clearInterval(probe);
  histogram.disable();
  if (failure !== undefined) throw failure;
  return { ms, maxDelayMs: histogram.max / 1e6, p99DelayMs: histogram.percentile(99) / 1e6, maxGapMs, ticks: ticksDuring };
}

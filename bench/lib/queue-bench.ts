import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { collapseToAncestors } from '../../src/batch/plan-batch.js';
import { exposeGc } from '../../src/process/idle-gc.js';
import { silentLogger } from '../../src/log/logger.js';
import { QueueFile } from '../../src/queue/queue-file.js';
import { readBatch } from '../../src/queue/read-batch.js';
import { encodeRecord, splitRecords } from '../../src/queue/records.js';
import { median, percentile } from './stats.js';

export interface QueueBenchOptions {
  /** Records per throughput run. @default 200000 */
  records: number;
  /** Distinct paths among them (the rest are repeats, as close_write + attrib give). @default 50000 */
  distinct: number;
  /** Throughput runs; the median is reported. @default 5 */
  runs: number;
  /** Records of the large queue file for the per-cycle cost. @default 200000 */
  bigFile: number;
  /** Records of the small queue file. @default 10 */
  smallFile: number;
  /** New records read per cycle. @default 10 */
  newPerCycle: number;
  /** Cycles timed per file size. @default 2000 */
  cycles: number;
  /** Cycles of the status-quo reader (`tail -n +N`, one process each). @default 30 */
  tailCycles: number;
}

export interface QueueBenchResult {
  writerPerSec: number;
  readerPerSec: number;
  dedupPerSec: number;
  collapsePerSec: number;
  /** Per-cycle read of `newPerCycle` new records: median and p99, microseconds; JS heap kept after all cycles, kB. */
  cycleSmallUs: CycleCost;
  cycleBigUs: CycleCost;
  /** The bash script's `tail -n +N` on the same sizes (newline records), microseconds. */
  tailSmallUs: number;
  tailBigUs: number;
  /** Bytes of the big queue file. */
  bigFileBytes: number;
  options: QueueBenchOptions;
}

export interface CycleCost {
  p50: number;
  p99: number;
  /** JS heap in use after the cycles minus before them, each after a full collection, kB. */
  retainedKb: number;
}

/** A path like those of a web tree with 1,700 directories. */
function pathOf(i: number, distinct: number): string {
  const n = i % distinct;
  return `/srv/www/site-${n % 17}/dir-${String(n % 1700).padStart(4, '0')}/file-${String(n).padStart(6, '0')}.html`;
}

/**
 * A queue file of `count` records. Its own function: the records' strings are
 * garbage once it returns, not kept in the caller's frame during a measurement.
 */
function writeRecords(file: string, count: number): void {
  writeFileSync(file, Array.from({ length: count }, (_, i) => encodeRecord(pathOf(i, count))).join(''));
}

function timeIt(work: () => void): number {
  const started = performance.now();
  work();
  return performance.now() - started;
}

/** Writer, reader and deduplication throughput: milliseconds of each run. */
async function throughputRuns(dir: string, options: QueueBenchOptions): Promise<Record<'writerMs' | 'readerMs' | 'dedupMs' | 'collapseMs', number[]>> {
  const paths = Array.from({ length: options.records }, (_, i) => pathOf(i, options.distinct));
  const file = join(dir, 'queue');
  const queue = new QueueFile(file, silentLogger(), { onAppend: () => {}, onNeedFullSync: () => {} });
  queue.open();
  const writerMs: number[] = [];
  const readerMs: number[] = [];
  const dedupMs: number[] = [];
  const collapseMs: number[] = [];
  for (let run = 0; run < options.runs; run++) {
    queue.truncate();
    // One flush per 1,000 appends: the daemon flushes once per event-loop turn.
    writerMs.push(
      timeIt(() => {
        for (let i = 0; i < paths.length; i++) {
          queue.append(paths[i] as string);
          if (i % 1000 === 999) queue.flush();
        }
        queue.flush();
      }),
    );
    const readStarted = performance.now();
    const batch = await readBatch(file, 0, Number.MAX_SAFE_INTEGER);
    readerMs.push(performance.now() - readStarted);
    if (batch.records !== paths.length || batch.paths.length !== Math.min(options.distinct, paths.length)) {
      throw new Error(`queue bench: read ${batch.records} records / ${batch.paths.length} distinct, expected ${paths.length} / ${options.distinct}`);
    }
    const records = splitRecords(readFileSync(file)).records;
    let distinct: string[] = [];
    dedupMs.push(timeIt(() => (distinct = [...new Set(records)])));
    collapseMs.push(timeIt(() => collapseToAncestors(distinct)));
  }
  queue.close();
  return { writerMs, readerMs, dedupMs, collapseMs };
}

/**
 * The queue on its own, without csync2: the writer (QueueFile.append +
 * flush), the reader (readBatch from an offset), deduplication (a Set, as
 * readBatch does, and collapseToAncestors as the sync loop does), and the
 * cost of one reader cycle against a small and a large queue file, next to
 * the status quo's `tail -n +N` on the same sizes.
 */
export async function queueBench(options: QueueBenchOptions): Promise<QueueBenchResult> {
  const dir = mkdtempSync(join(tmpdir(), 'inotify-csync-bench-queue-'));
  try {
    // In a function of their own: the runs' records are garbage before the cycles' heap is measured.
    const { writerMs, readerMs, dedupMs, collapseMs } = await throughputRuns(dir, options);

    const gc = exposeGc() ?? ((): void => {});
    /** JS heap in use after full collections (two: the second finds what the first only unlinked). */
    const settledHeap = (): number => {
      gc();
      gc();
      return process.memoryUsage().heapUsed;
    };
    const cycle = async (base: number): Promise<CycleCost> => {
      const cycleFile = join(dir, `cycle-${base}`);
      writeRecords(cycleFile, base);
      let offset = statSync(cycleFile).size;
      const us: number[] = new Array<number>(options.cycles);
      const heapBefore = settledHeap();
      for (let c = 0; c < options.cycles; c++) {
        appendFileSync(cycleFile, Array.from({ length: options.newPerCycle }, (_, i) => encodeRecord(pathOf(base + c * options.newPerCycle + i, Number.MAX_SAFE_INTEGER))).join(''));
        const started = performance.now();
        const batch = await readBatch(cycleFile, offset, 15_000);
        us[c] = (performance.now() - started) * 1000;
        if (batch.records !== options.newPerCycle) throw new Error(`cycle read ${batch.records} records, expected ${options.newPerCycle}`);
        offset = batch.nextOffset;
      }
      const retainedKb = (settledHeap() - heapBefore) / 1024;
      return { p50: median(us), p99: percentile(us, 99), retainedKb };
    };
    const tail = (base: number): number => {
      const tailFile = join(dir, `tail-${base}`);
      const lines = Array.from({ length: base + options.newPerCycle }, (_, i) => `${pathOf(i, Number.MAX_SAFE_INTEGER)}\n`).join('');
      writeFileSync(tailFile, lines);
      const us: number[] = [];
      for (let c = 0; c < options.tailCycles; c++) {
        const started = performance.now();
        const out = execFileSync('tail', ['-n', `+${base + 1}`, tailFile], { maxBuffer: 64 * 1024 * 1024 });
        us.push((performance.now() - started) * 1000);
        if (out.toString().split('\n').length - 1 !== options.newPerCycle) throw new Error('tail read the wrong number of lines');
      }
      return median(us);
    };
    // V8 drops the bytecode of functions unused for a few collections (the throughput
    // runs'): let that happen before the first measurement, not during it.
    for (let i = 0; i < 4; i++) settledHeap();
    const cycleSmallUs = await cycle(options.smallFile);
    const cycleBigUs = await cycle(options.bigFile);
    const bigFileBytes = statSync(join(dir, `cycle-${options.bigFile}`)).size;
    const perSec = (ms: number[]): number => options.records / (median(ms) / 1000);
    return {
      writerPerSec: perSec(writerMs),
      readerPerSec: perSec(readerMs),
      dedupPerSec: perSec(dedupMs),
      collapsePerSec: Math.min(options.distinct, options.records) / (median(collapseMs) / 1000),
      cycleSmallUs,
      cycleBigUs,
      tailSmallUs: tail(options.smallFile),
      tailBigUs: tail(options.bigFile),
      bigFileBytes,
      options,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * `npm run bench:queue`: a large queue backlog read the way the daemon reads
 * it, while a 10 ms interval and perf_hooks watch the event loop. Reports,
 * per file size, the longest stall (what the systemd watchdog ping, the
 * csync2 listener and every timer wait for) and the read speed, for: one
 * batch over the whole backlog (num_batched_changes_threshold exceeded, the
 * rest only counted), the records a full sync covered (skipped), and the
 * start-up RECOVERY scan of a dead daemon's queue, and a RESET QUEUE LOG that
 * carries 90% of the file over as unread. The files go to the temp
 * directory and are removed afterwards.
 *
 * The reader is `--mode async`'s (the default): `--mode thread` reads in a
 * worker thread, whose stalls the main loop never sees.
 *
 * Options: --mb N[,N...] sizes in MB (300; e.g. --mb 300,1024,3072 if the
 * disk allows) --limit N distinct paths per batch (15000); QUEUE_BENCH_DIR
 * instead of the temp directory.
 */
import { mkdtempSync, rmSync, statfsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { createBatchReader } from '../src/batch/batch-reader.js';
import { silentLogger } from '../src/log/logger.js';
import { QueueFile } from '../src/queue/queue-file.js';
import { scanQueuedPaths } from '../src/queue/read-batch.js';
import { measureStall, writeQueueFile, type StallReport } from './lib/queue-stall.js';

const { values: args } = parseArgs({
  options: {
    mb: { type: 'string', default: '300' },
    limit: { type: 'string', default: '15000' },
  },
});
const sizes = String(args.mb).split(',').map(Number);
const limit = Number(args.limit);

const dir = mkdtempSync(join(process.env.QUEUE_BENCH_DIR ?? tmpdir(), 'inotify-csync-bench-stall-'));
const rows: string[][] = [];
const row = (label: string, mb: number, r: StallReport): void => {
  rows.push([label, `${mb} MB`, `${(r.ms / 1000).toFixed(2)} s`, `${(mb / (r.ms / 1000)).toFixed(0)} MB/s`, `${r.maxDelayMs.toFixed(0)} ms`, `${r.p99DelayMs.toFixed(0)} ms`, `${r.maxGapMs.toFixed(0)} ms`, String(r.ticks)]);
  console.log(rows.at(-1)?.join('  '));
};
try {
  for (const mb of sizes) {
    const free = statfsSync(dir);
    if (free.bavail * free.bsize < mb * 1024 * 1024 * 1.2) {
      console.log(`${mb} MB: skipped, not enough room in ${dir}`);
      continue;
    }
    const file = join(dir, `queue-${mb}`);
    // The daemon's queue file, filled behind its back (the same inode: open() emptied it first).
    const queue = new QueueFile(file, silentLogger(), { onAppend: () => {}, onNeedFullSync: () => {} });
    queue.open();
    const records = writeQueueFile(file, mb * 1024 * 1024, 4_000_000);
    const size = statSync(file).size;
    console.log(`${mb} MB queue file: ${records} records, ${size} bytes (limit ${limit})`);
    const reader = createBatchReader('async');
    try {
      let read = 0;
      row('batch over the backlog', mb, await measureStall(async () => (read = (await reader.read(file, 0, limit)).records)));
      if (read !== records) throw new Error(`the batch read ${read} records, the file holds ${records}`);
      row('records a full sync covered', mb, await measureStall(() => reader.read(file, 0, 0, size)));
      let scanned = 0;
      row('start-up RECOVERY scan', mb, await measureStall(() => scanQueuedPaths(file, limit, async (paths) => void (scanned += paths.length))));
      if (scanned < Math.min(records, 4_000_000)) throw new Error(`the recovery scan found ${scanned} paths`);
      row('RESET QUEUE LOG, 90% unread', mb, await measureStall(async () => queue.resetKeepingTail(Math.floor(size / 10))));
    } finally {
      queue.close();
      await reader.close();
      rmSync(file, { force: true });
    }
  }
  console.log();
  console.log(['case', 'file', 'time', 'read', 'max delay', 'p99 delay', 'max 10 ms gap', 'ticks'].join(' | '));
  for (const r of rows) console.log(r.join(' | '));
} finally {
  rmSync(dir, { recursive: true, force: true });
}

import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { countRecords, RECORD_END, splitRecords } from './records.js';

export interface BatchRead {
  /** Distinct paths in order of first appearance; empty when `overLimit`. */
  paths: string[];
  /** How many distinct paths were seen (counting stops just past the limit). */
  distinct: number;
  /** More distinct paths than `limit`: the caller does a full sync instead, so they were not kept. */
  overLimit: boolean;
  /** Records read (duplicates included): what `num_lines_until_reset` counts. */
  records: number;
  /** Byte offset after the last complete record read. */
  nextOffset: number;
  /** Size of the file when read. */
  size: number;
}

/**
 * Bytes read and split in one go: the longest a read of the queue holds the
 * event loop (about 5 ms at 200 MB/s), so a backlog of gigabytes never stops
 * the watchdog ping, the csync2 listener or a timer for seconds.
 */
export const SLICE_BYTES = 1024 * 1024;

/** Lets timers, sockets and I/O callbacks run between two slices of a long read. */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/**
 * Hands `take` the queue file from `offset` to `end` in slices of whole
 * records (at most SLICE_BYTES each), with `pause` (one event-loop turn)
 * between two slices. Returns the offset after the last whole record and the
 * size read up to.
 */
async function readSlices(
  file: string,
  offset: number,
  end: number,
  pause: () => Promise<void>,
  take: (chunk: Buffer) => void | Promise<void>,
): Promise<{ nextOffset: number; size: number }> {
  // Never through a link: the queue's path is only ever the daemon's own file.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const size = Math.min(fstatSync(fd).size, end);
    const buffer = Buffer.allocUnsafe(Math.max(1, Math.min(SLICE_BYTES, size - offset)));
    let position = offset;
    for (let slice = 0; position < size; slice++) {
      if (slice > 0) await pause();
      const length = readSync(fd, buffer, 0, Math.min(buffer.length, size - position), position);
      if (length === 0) break;
      const consumed = buffer.lastIndexOf(RECORD_END, length - 1) + 1;
      if (consumed === 0) {
        // One record longer than a slice cannot be a path (PATH_MAX is 4096): skip to its end.
        if (length < SLICE_BYTES) break;
        position += length;
        continue;
      }
      const taken = take(buffer.subarray(0, consumed));
      if (taken) await taken;
      position += consumed;
    }
    return { nextOffset: position, size };
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads the records added since `offset` and removes duplicates: the cost
 * follows the new bytes, never the size of the file (the bash script's
 * `tail -n +N` reread it from the top every cycle). `end` stops the read at
 * that byte offset (records a full sync already covered). Past `limit`
 * distinct paths the rest is only counted. A long read yields to the event
 * loop after every slice (`pause`).
 */
export async function readBatch(file: string, offset: number, limit: number, end = Number.POSITIVE_INFINITY, pause = nextTurn): Promise<BatchRead> {
  const seen = new Set<string>();
  let overLimit = false;
  let records = 0;
  const { nextOffset, size } = await readSlices(file, offset, end, pause, (chunk) => {
    if (overLimit) {
      records += countRecords(chunk);
      return;
    }
    const split = splitRecords(chunk).records;
    records += split.length;
    for (const path of split) {
      seen.add(path);
      if (seen.size > limit) {
        overLimit = true;
        break;
      }
    }
  });
  return { paths: overLimit ? [] : [...seen], distinct: seen.size, overLimit, records, nextOffset, size };
}

export interface QueueScan {
  /** Records in the file (duplicates included). */
  records: number;
  /** Paths handed to `onChunk`, all chunks together (a path repeated in two chunks counts twice). */
  paths: number;
  /** Calls of `onChunk`. */
  chunks: number;
}

/**
 * Hands every path of a whole queue file to `onChunk`, at most `chunkPaths`
 * distinct ones at a time and each chunk once: the memory stays bounded
 * however large the file a dead daemon left, and the event loop runs between
 * two slices. A file that cannot be read scans as empty.
 */
export async function scanQueuedPaths(file: string, chunkPaths: number, onChunk: (paths: string[]) => Promise<void>, pause = nextTurn): Promise<QueueScan> {
  const scan: QueueScan = { records: 0, paths: 0, chunks: 0 };
  const chunk = new Set<string>();
  const handOver = async (): Promise<void> => {
    const paths = [...chunk];
    chunk.clear();
    scan.paths += paths.length;
    scan.chunks++;
    await onChunk(paths);
  };
  try {
    await readSlices(file, 0, Number.POSITIVE_INFINITY, pause, async (slice) => {
      for (const path of splitRecords(slice).records) {
        scan.records++;
        chunk.add(path);
        if (chunk.size >= chunkPaths) await handOver();
      }
    });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'ELOOP') throw error;
  }
  if (chunk.size > 0) await handOver();
  return scan;
}

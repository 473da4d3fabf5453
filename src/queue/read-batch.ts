import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { splitRecords } from './records.js';

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

const CHUNK_BYTES = 4 * 1024 * 1024;

/**
 * Reads the records added since `offset` and removes duplicates: the cost
 * follows the new bytes, never the size of the file (the bash script's
 * `tail -n +N` reread it from the top every cycle). `end` stops the read at
 * that byte offset (records a full sync already covered).
 */
export function readBatch(file: string, offset: number, limit: number, end = Number.POSITIVE_INFINITY): BatchRead {
  // Never through a link: the queue's path is only ever the daemon's own file.
  const fd = openSync(file, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const size = Math.min(fstatSync(fd).size, end);
    const seen = new Set<string>();
    let overLimit = false;
    let records = 0;
    let position = offset;
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    while (position < size) {
      const length = readSync(fd, buffer, 0, Math.min(CHUNK_BYTES, size - position), position);
      if (length === 0) break;
      const split = splitRecords(buffer.subarray(0, length));
      if (split.consumed === 0) {
        // One record longer than a chunk cannot be a path (PATH_MAX is 4096): skip to its end.
        if (length < CHUNK_BYTES) break;
        position += length;
        continue;
      }
      position += split.consumed;
      records += split.records.length;
      if (!overLimit) {
        for (const path of split.records) {
          seen.add(path);
          if (seen.size > limit) {
            overLimit = true;
            break;
          }
        }
      }
    }
    const distinct = seen.size;
    return { paths: overLimit ? [] : [...seen], distinct, overLimit, records, nextOffset: position, size };
  } finally {
    closeSync(fd);
  }
}

/** The distinct paths in a queue file a dead daemon left (at most `limit` of them); none when it cannot be read. */
export function lastQueuedPaths(file: string, limit: number): string[] {
  try {
    return readBatch(file, 0, limit).paths;
  } catch {
    return [];
  }
}

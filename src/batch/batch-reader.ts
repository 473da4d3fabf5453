import { readBatch, type BatchRead } from '../queue/read-batch.js';
import { ThreadBatchReader } from './thread-batch-reader.js';

/** Reads and deduplicates the records added since an offset. */
export interface BatchReader {
  read(file: string, offset: number, limit: number, end?: number): Promise<BatchRead>;
  close(): Promise<void>;
}

/** `--mode async`: on the main event loop, in slices with a turn of the loop between two. */
class InlineBatchReader implements BatchReader {
  read(file: string, offset: number, limit: number, end?: number): Promise<BatchRead> {
    return readBatch(file, offset, limit, end);
  }

  async close(): Promise<void> {}
}

/** `--mode thread` moves reading and deduplication to a worker thread, so a huge batch never stalls the watchers. */
export function createBatchReader(mode: 'async' | 'thread'): BatchReader {
  return mode === 'thread' ? new ThreadBatchReader() : new InlineBatchReader();
}

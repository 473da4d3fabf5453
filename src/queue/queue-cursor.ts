import type { BatchReader } from '../batch/batch-reader.js';
import type { BatchRead } from './read-batch.js';
import type { QueueFile } from './queue-file.js';

/** What `verify()` found and mended: the queue file changed behind the daemon's back. */
export type QueueDamage = 'replaced' | 'truncated';

/**
 * The reading side of the queue file: owns the byte offset of the next
 * unread record and the count toward `num_lines_until_reset`, and every
 * change of either (a batch read, a reset, records a full sync covered, a
 * file replaced or truncated behind the daemon's back).
 */
export class QueueCursor {
  offset = 0;
  linesRead = 0;

  constructor(
    private readonly queue: QueueFile,
    private readonly reader: BatchReader,
  ) {}

  get hasUnread(): boolean {
    return this.queue.size() > this.offset;
  }

  /** Mends a file deleted, replaced or truncated by someone else; the caller follows with a full sync. */
  verify(): QueueDamage | undefined {
    const { queue } = this;
    if (queue.replaced()) {
      queue.reopen();
      this.rewind();
      return 'replaced';
    }
    if (queue.truncatedBehindUs() || queue.size() < this.offset) {
      queue.truncate();
      this.rewind();
      return 'truncated';
    }
    return undefined;
  }

  /** Reads the records after the offset (at most `limit` distinct paths kept) and moves past them. */
  async read(limit: number): Promise<BatchRead> {
    const batch = await this.reader.read(this.queue.path, this.offset, limit);
    this.offset = batch.nextOffset;
    this.linesRead += batch.records;
    return batch;
  }

  resetDue(numLinesUntilReset: number): boolean {
    return this.linesRead >= numLinesUntilReset;
  }

  /** RESET QUEUE LOG: empties the file, carrying the unread records over to its start; returns the bytes carried. */
  reset(): number {
    const carried = this.queue.resetKeepingTail(this.offset);
    this.rewind();
    return carried;
  }

  /** Moves past the records up to `coveredUpTo` (a successful full sync covered them), counting them toward the reset. */
  async skipCovered(coveredUpTo: number): Promise<void> {
    const { queue } = this;
    if (coveredUpTo <= this.offset || queue.size() < coveredUpTo || queue.replaced() || queue.truncatedBehindUs()) return;
    const skipped = await this.reader.read(queue.path, this.offset, 0, coveredUpTo);
    this.offset = skipped.nextOffset;
    this.linesRead += skipped.records;
  }

  private rewind(): void {
    this.offset = 0;
    this.linesRead = 0;
  }
}

/** Queue records end with NUL: the only byte a path cannot contain, so any file name stays one record. */
export const RECORD_END = 0;

/** Encodes one path as a queue record. */
export function encodeRecord(path: string): string {
  return `${path}\0`;
}

export interface SplitResult {
  /** Complete records, in order. */
  records: string[];
  /** Bytes of `chunk` the complete records took; an unfinished record at the end is left unread. */
  consumed: number;
}

/** Splits a chunk read from the queue into complete records (a partial last record is left for the next read). */
export function splitRecords(chunk: Buffer): SplitResult {
  const records: string[] = [];
  let start = 0;
  for (;;) {
    const end = chunk.indexOf(RECORD_END, start);
    if (end === -1) break;
    if (end > start) records.push(chunk.toString('utf8', start, end));
    start = end + 1;
  }
  return { records, consumed: start };
}

/** Counts the records of a chunk of whole records without decoding them (a batch past its limit only counts). */
export function countRecords(chunk: Buffer): number {
  let records = 0;
  let start = 0;
  for (;;) {
    const end = chunk.indexOf(RECORD_END, start);
    if (end === -1) return records;
    if (end > start) records++;
    start = end + 1;
  }
}

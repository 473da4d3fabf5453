import { isUtf8 } from 'node:buffer';

/** One event as inotifywait printed it. */
export interface WatchEvent {
  /** Upper-case event names, e.g. `CLOSE_WRITE`, `CLOSE`, or `CREATE`, `ISDIR`. */
  events: string[];
  /**
   * The path. When it holds bytes that are not UTF-8 it cannot be passed to
   * csync2 as an argument (Node encodes arguments as UTF-8), so it is the
   * nearest ancestor directory whose name is valid: `csync2 -cr` on it covers it.
   */
  path: string;
  /** False when `path` is that ancestor rather than the event's own path. */
  validUtf8: boolean;
  isDir: boolean;
  /** The kernel dropped events (IN_Q_OVERFLOW): only a full sync can catch up. */
  overflow: boolean;
}

/** Parses one record `EVENTS PATH` (the bytes between two NULs). */
export function parseEventRecord(record: Buffer): WatchEvent | undefined {
  const space = record.indexOf(0x20);
  const head = (space === -1 ? record : record.subarray(0, space)).toString('latin1');
  const events = head.split(',').filter((name) => name !== '');
  if (events.length === 0) return undefined;
  const rawPath = space === -1 ? Buffer.alloc(0) : record.subarray(space + 1);
  const validUtf8 = isUtf8(rawPath);
  let path = validUtf8 ? rawPath.toString('utf8') : validAncestor(rawPath);
  if (path.length > 1 && path.endsWith('/')) path = path.slice(0, -1);
  return {
    events,
    path,
    validUtf8,
    isDir: events.includes('ISDIR'),
    overflow: events.includes('Q_OVERFLOW'),
  };
}

/** The leading components of a path that are valid UTF-8, up to the first one that is not. */
function validAncestor(rawPath: Buffer): string {
  const parts: string[] = [];
  let start = 0;
  for (;;) {
    const slash = rawPath.indexOf(0x2f, start);
    if (slash === -1) break;
    const part = rawPath.subarray(start, slash);
    if (!isUtf8(part)) break;
    parts.push(part.toString('utf8'));
    start = slash + 1;
  }
  return parts.join('/') || '/';
}

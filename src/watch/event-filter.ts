import { lstatSync } from 'node:fs';
import type { WatchEvent } from './event-record.js';

export interface EventFilterOptions {
  /** csync2's include/exclude decision for a path. */
  isIncluded: (path: string) => boolean;
  /** csync2's own temporary transfer files, which must not cost a csync2 call. */
  isTempFile: (path: string) => boolean;
}

/**
 * A CREATE of a regular file with one link is always followed by its
 * CLOSE_WRITE, so it is dropped; every other CREATE (a directory, a symlink,
 * a hard link, a fifo) reports something close_write never will.
 */
function createNeedsQueueing(event: WatchEvent): boolean {
  if (event.isDir) return true;
  try {
    const stat = lstatSync(event.path);
    return !stat.isFile() || stat.nlink > 1;
  } catch {
    return false;
  }
}

/**
 * csync2 writes `.NAME.XXXXXX` next to a file it transfers (when no tempdir is
 * set) and unlinks it while still open, so its close_write arrives for a path
 * that no longer exists. Only such an event is dropped: a DELETE or MOVED_FROM
 * is always queued, so a real file that merely looks like a temp file is never lost.
 */
function isTransferEcho(event: WatchEvent, isTempFile: (path: string) => boolean): boolean {
  if (event.events.includes('DELETE') || event.events.includes('MOVED_FROM')) return false;
  if (!isTempFile(event.path)) return false;
  try {
    lstatSync(event.path);
    return false;
  } catch {
    return true;
  }
}

/** Decides which path, if any, an inotify event puts into the queue. */
export function createEventFilter(options: EventFilterOptions): (event: WatchEvent) => string | undefined {
  return (event) => {
    if (event.overflow || event.path === '') return undefined;
    if (event.events.includes('IGNORED')) return undefined;
    if (event.events.includes('CREATE') && !event.isDir && !createNeedsQueueing(event)) return undefined;
    if (!options.isIncluded(event.path)) return undefined;
    if (event.validUtf8 && isTransferEcho(event, options.isTempFile)) return undefined;
    return event.path;
  };
}

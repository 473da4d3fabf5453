import { lstatSync, type Stats } from 'node:fs';
import { CreatedFiles, unnamedInode } from './created-files.js';
import type { WatchEvent } from './event-record.js';

export interface EventFilterOptions {
  /** csync2's include/exclude decision for a path. */
  isIncluded: (path: string) => boolean;
  /** csync2's own temporary transfer files, which must not cost a csync2 call. */
  isTempFile: (path: string) => boolean;
}

function lstatOrUndefined(path: string): Stats | undefined {
  try {
    return lstatSync(path);
  } catch {
    return undefined;
  }
}

/**
 * A CREATE of a regular file with one link is followed by its CLOSE_WRITE,
 * so it is dropped (and remembered: see CreatedFiles); every other CREATE (a
 * directory, a symlink, a hard link, a fifo) reports something close_write never will.
 */
function createNeedsQueueing(event: WatchEvent, created: CreatedFiles): boolean {
  if (event.isDir) return true;
  const stat = lstatOrUndefined(event.path);
  if (!stat) return false;
  if (!stat.isFile() || stat.nlink > 1) return true;
  created.created(event.path, stat.ino);
  return false;
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
  return lstatOrUndefined(event.path) === undefined;
}

/**
 * The path an event really concerns: an O_TMPFILE's close or chmod is reported
 * as `dir/#INODE`, which no csync2 call can use; it becomes the name the inode
 * was linked under, or nothing (a temp file that was never linked).
 */
function namedPath(event: WatchEvent, created: CreatedFiles): string | undefined {
  // A DELETE or a move always names a real entry (perhaps one called `#123`).
  const aboutContent = event.events.includes('CLOSE_WRITE') || event.events.includes('ATTRIB');
  const renamedOrDeleted = event.events.some((name) => name === 'DELETE' || name.startsWith('MOVED_'));
  const inode = aboutContent && !renamedOrDeleted && event.validUtf8 && !event.isDir ? unnamedInode(event.path) : undefined;
  if (inode === undefined || lstatOrUndefined(event.path) !== undefined) {
    if (event.events.includes('CLOSE_WRITE')) created.closed(event.path);
    return event.path;
  }
  return created.nameOf(inode);
}

/** Decides which path, if any, an inotify event puts into the queue. */
export function createEventFilter(options: EventFilterOptions): (event: WatchEvent) => string | undefined {
  const created = new CreatedFiles();
  return (event) => {
    if (event.overflow || event.path === '') return undefined;
    if (event.events.includes('IGNORED')) return undefined;
    if (event.events.includes('CREATE') && !event.isDir && !createNeedsQueueing(event, created)) return undefined;
    const path = namedPath(event, created);
    if (path === undefined) return undefined;
    if (!options.isIncluded(path)) return undefined;
    if (event.validUtf8 && isTransferEcho(event, options.isTempFile)) return undefined;
    return path;
  };
}

import { isCsync2TempFile } from '../config/tempfile.js';
import type { Logger } from '../log/logger.js';
import { topLevelUnder } from '../paths/under-root.js';
import type { WatchEvent } from './event-record.js';

/** Where the events' consequences go. */
export interface EventIntakeSinks {
  /** Queues a path (the queue file). */
  append: (path: string) => void;
  /** csync2 wrote a transfer file: a peer's delivery runs in the tree now. */
  noticeTransfer: () => void;
  /** A directory under this top-level entry was renamed (RenamedDirectories). */
  noteRename: (area: string) => void;
  requestFullSync: (reason: string, settleMs: number) => void;
  /** A full sync is already waiting (its overflow warning was given). */
  fullSyncPending: () => boolean;
  log: Logger;
}

/**
 * What one inotify event means for the daemon: an overflow asks for a full
 * sync, a path that passes the watcher set's filter is queued, csync2's
 * transfer files tell of a peer's delivery, and a directory rename is noted
 * for its subtree check.
 */
export class EventIntake {
  events = 0;
  overflows = 0;

  constructor(private readonly sinks: EventIntakeSinks) {}

  /** `filter` and `roots` are those of the watcher set that reported it (during a reload, old and new differ). */
  take(event: WatchEvent, filter: (event: WatchEvent) => string | undefined, roots: readonly string[]): void {
    const { sinks } = this;
    this.events++;
    if (event.overflow) {
      this.possibleLoss('the kernel dropped events (queue overflow, or a burst as large as the kernel queue)', 'inotify queue overflow');
      return;
    }
    if (isCsync2TempFile(event.path)) sinks.noticeTransfer();
    const path = filter(event);
    if (path !== undefined) sinks.append(path);
    if (event.isDir && (event.events.includes('MOVED_FROM') || event.events.includes('MOVED_TO'))) {
      // inotifywait -r may report later events of a moved tree under stale paths (RenamedDirectories).
      const area = topLevelUnder(event.path, roots);
      if (area !== undefined) sinks.noteRename(area);
    }
  }

  /** Events may have been dropped (`cause` says why): counted as an overflow, and a full sync follows, one per burst. */
  possibleLoss(cause: string, reason = 'possible inotify queue overflow'): void {
    const { sinks } = this;
    this.overflows++;
    if (!sinks.fullSyncPending()) sinks.log.warn(`INOTIFY: ${cause}; a full sync follows`);
    sinks.requestFullSync(reason, 500);
  }
}

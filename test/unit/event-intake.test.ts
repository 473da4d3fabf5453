import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../src/log/logger.js';
import { topLevelUnder } from '../../src/paths/under-root.js';
import { EventIntake } from '../../src/watch/event-intake.js';
import type { WatchEvent } from '../../src/watch/event-record.js';
import { Writable } from 'node:stream';

function intake() {
  const seen = { appended: [] as string[], transfers: 0, renames: [] as string[], fullSyncs: [] as Array<[string, number]>, logged: [] as string[] };
  let pending = false;
  const stream = new Writable({
    write(chunk, _encoding, done) {
      seen.logged.push(String(chunk));
      done();
    },
  });
  const taker = new EventIntake({
    append: (path) => seen.appended.push(path),
    noticeTransfer: () => seen.transfers++,
    noteRename: (area) => seen.renames.push(area),
    requestFullSync: (reason, settleMs) => {
      seen.fullSyncs.push([reason, settleMs]);
      pending = true;
    },
    fullSyncPending: () => pending,
    log: createLogger({ debug: false, format: 'text', stream }),
  });
  return { taker, seen };
}

const event = (path: string, events: string[], extra: Partial<WatchEvent> = {}): WatchEvent => ({ path, events, validUtf8: true, isDir: false, overflow: false, ...extra });
const everything = (e: WatchEvent): string => e.path;

test('a path that passes the filter is queued; one that does not is not', () => {
  const { taker, seen } = intake();
  taker.take(event('/r/a.txt', ['CLOSE_WRITE', 'CLOSE']), everything, ['/r']);
  taker.take(event('/r/skip.tmp', ['CLOSE_WRITE', 'CLOSE']), (e) => (e.path.endsWith('.tmp') ? undefined : e.path), ['/r']);
  assert.deepEqual(seen.appended, ['/r/a.txt']);
  assert.equal(taker.events, 2);
});

test('overflows ask for one settled full sync and warn once while it is pending', () => {
  const { taker, seen } = intake();
  taker.take(event('', ['Q_OVERFLOW'], { overflow: true }), everything, ['/r']);
  taker.take(event('', ['Q_OVERFLOW'], { overflow: true }), everything, ['/r']);
  assert.deepEqual(seen.fullSyncs, [['inotify queue overflow', 500], ['inotify queue overflow', 500]]);
  assert.equal(seen.logged.filter((line) => line.includes('kernel dropped events')).length, 1);
  assert.equal(taker.overflows, 2);
  assert.deepEqual(seen.appended, []);
});

test("a directory rename is noted under its top-level entry; csync2's transfer file tells of a delivery", () => {
  const { taker, seen } = intake();
  taker.take(event('/r/site/old/dir', ['MOVED_FROM', 'ISDIR'], { isDir: true }), everything, ['/r']);
  taker.take(event('/r/site/.a.txt.XXXXXX', ['CREATE']), () => undefined, ['/r']);
  assert.deepEqual(seen.renames, ['/r/site']);
  assert.equal(seen.transfers, 1);
});

test('topLevelUnder: the entry below the root, none for the root itself or outside it', () => {
  assert.equal(topLevelUnder('/r/a/b/c', ['/x', '/r']), '/r/a');
  assert.equal(topLevelUnder('/r/a', ['/r/']), '/r/a');
  assert.equal(topLevelUnder('/r', ['/r']), undefined);
  assert.equal(topLevelUnder('/other/a', ['/r']), undefined);
});

test('a possible loss (the event loop stalled) is counted as an overflow, logged with its cause, and asks for a full sync', () => {
  const { taker, seen } = intake();
  taker.possibleLoss("the daemon's event loop stalled for 3.0 s while inotify events were coming in");
  assert.equal(taker.overflows, 1);
  assert.deepEqual(seen.fullSyncs, [['possible inotify queue overflow', 500]]);
  assert.ok(seen.logged.some((line) => line.includes("INOTIFY: the daemon's event loop stalled for 3.0 s while inotify events were coming in; a full sync follows")), seen.logged.join(''));
});

import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { CreatedFiles, unnamedInode } from '../../src/watch/created-files.js';
import { createEventFilter } from '../../src/watch/event-filter.js';
import { parseEventRecord, type WatchEvent } from '../../src/watch/event-record.js';

const dir = mkdtempSync(join(tmpdir(), 'inotify-csync-filter-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** An event as inotifywait prints it (`%e %w%f`). */
const event = (record: string): WatchEvent => parseEventRecord(Buffer.from(record)) as WatchEvent;
const newFilter = () => createEventFilter({ isIncluded: () => true, isTempFile: () => false });

test('an ordinary new file is queued once, by its CLOSE_WRITE', () => {
  const filter = newFilter();
  const file = join(dir, 'plain.txt');
  writeFileSync(file, 'x');
  assert.equal(filter(event(`CREATE ${file}`)), undefined);
  assert.equal(filter(event(`CLOSE_WRITE,CLOSE ${file}`)), file);
});

test('O_TMPFILE + linkat: the close reported as dir/#INODE becomes the name the inode was linked under', () => {
  // inotifywait 3.22 prints `CREATE dir/name` at the linkat, then `CLOSE_WRITE,CLOSE dir/#INODE` at the close.
  const filter = newFilter();
  const file = join(dir, 'linked.txt');
  writeFileSync(file, 'made with O_TMPFILE');
  const inode = lstatSync(file).ino;
  assert.equal(filter(event(`CREATE ${file}`)), undefined);
  assert.equal(filter(event(`CLOSE_WRITE,CLOSE ${dir}/#${inode}`)), file);
  // Asked once: a second close of the same inode has nothing to resolve.
  assert.equal(filter(event(`CLOSE_WRITE,CLOSE ${dir}/#${inode}`)), undefined);
});

test('an O_TMPFILE that was never linked costs no csync2 call', () => {
  const filter = newFilter();
  assert.equal(filter(event(`CLOSE_WRITE,CLOSE ${dir}/#987654321`)), undefined);
  assert.equal(filter(event(`ATTRIB ${dir}/#987654321`)), undefined);
});

test('a real file named #123 is queued like any other, also when it is deleted', () => {
  const filter = newFilter();
  const file = join(dir, '#123');
  writeFileSync(file, 'hash name');
  assert.equal(filter(event(`CLOSE_WRITE,CLOSE ${file}`)), file);
  rmSync(file);
  assert.equal(filter(event(`DELETE ${file}`)), file);
  assert.equal(filter(event(`MOVED_FROM ${file}`)), file);
});

test('the unnamed-inode form is recognised only as a whole last component', () => {
  assert.equal(unnamedInode('/srv/www/#42'), 42);
  assert.equal(unnamedInode('/srv/www/#42.txt'), undefined);
  assert.equal(unnamedInode('/srv/www/a#42'), undefined);
});

test('CreatedFiles forgets a file once its close names it, and keeps at most its limit', () => {
  const created = new CreatedFiles(2);
  created.created('/a', 1);
  created.closed('/a');
  assert.equal(created.nameOf(1), undefined);
  created.created('/b', 2);
  created.created('/c', 3);
  created.created('/d', 4);
  assert.equal(created.size, 2);
  assert.equal(created.nameOf(2), undefined, 'the oldest went first');
  assert.equal(created.nameOf(4), '/d');
});

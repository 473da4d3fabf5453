import assert from 'node:assert/strict';
import { appendFileSync, chmodSync, chownSync, linkSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../src/log/logger.js';
import { checkPrivateDirectory } from '../../src/queue/private-directory.js';
import { QueueFile } from '../../src/queue/queue-file.js';
import { readBatch } from '../../src/queue/read-batch.js';
import { encodeRecord, splitRecords } from '../../src/queue/records.js';

test('records keep any file name whole, newlines included', () => {
  const names = ['/a/b c', '/a/line\nbreak', '/a/-dash', '/a/ünï', '/a/tab\tname'];
  const { records, consumed } = splitRecords(Buffer.from(names.map(encodeRecord).join('')));
  assert.deepEqual(records, names);
  assert.equal(consumed, Buffer.byteLength(names.map(encodeRecord).join('')));
});

test('an unfinished record at the end is left for the next read', () => {
  const { records, consumed } = splitRecords(Buffer.from('/a\0/b'));
  assert.deepEqual(records, ['/a']);
  assert.equal(consumed, 3);
});

test('readBatch reads only what follows the offset and removes duplicates', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'queue-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'queue');
  writeFileSync(file, ['/x', '/y', '/x'].map(encodeRecord).join(''));
  const first = await readBatch(file, 0, 100);
  assert.deepEqual(first.paths, ['/x', '/y']);
  assert.equal(first.records, 3);
  appendFileSync(file, ['/z', '/x'].map(encodeRecord).join('') + '/partial');
  const second = await readBatch(file, first.nextOffset, 100);
  assert.deepEqual(second.paths, ['/z', '/x']);
  assert.equal(second.records, 2);
  assert.equal(second.nextOffset, first.nextOffset + 6);
});

test('past the limit readBatch keeps no paths but still advances', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'queue-test-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'queue');
  writeFileSync(file, Array.from({ length: 50 }, (_, i) => encodeRecord(`/f${i}`)).join(''));
  const batch = await readBatch(file, 0, 10);
  assert.equal(batch.overLimit, true);
  assert.deepEqual(batch.paths, []);
  assert.equal(batch.records, 50);
  assert.equal(batch.nextOffset, batch.size);
});

// The queue's path must never let another local user aim the daemon's truncation or writes elsewhere.
describe('QueueFile refuses what could point it at another file', () => {
  let dir: string;
  const events = { onAppend: () => undefined, onNeedFullSync: () => undefined };
  const queueIn = (parent: string): QueueFile => new QueueFile(join(parent, 'queue'), silentLogger(), events);
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'queue-safety-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a queue path that is a symbolic link: one line naming the link, the target untouched', async () => {
    const parent = join(dir, 'link');
    mkdirSync(parent, { mode: 0o700 });
    const victim = join(dir, 'victim');
    writeFileSync(victim, 'precious\n');
    symlinkSync(victim, join(parent, 'queue'));
    assert.throws(() => queueIn(parent).open(), {
      message: `queue file ${join(parent, 'queue')} is a symbolic link, which inotify-csync does not follow (it would empty the target): remove the link, or choose another --queue-file`,
    });
    assert.equal(readFileSync(victim, 'utf8'), 'precious\n');
    await assert.rejects(() => readBatch(join(parent, 'queue'), 0, 10), { code: 'ELOOP' }, 'the reader does not follow it either');
  });

  test('a queue file with a second hard link is not emptied', () => {
    const parent = join(dir, 'hardlink');
    mkdirSync(parent, { mode: 0o700 });
    writeFileSync(join(parent, 'other'), 'precious\n');
    linkSync(join(parent, 'other'), join(parent, 'queue'));
    assert.throws(() => queueIn(parent).open(), { message: /^queue file .*\/queue has 2 hard links .*: remove it, or choose another --queue-file$/ });
    assert.equal(readFileSync(join(parent, 'other'), 'utf8'), 'precious\n');
  });

  test('a directory group or others can write is refused, sticky or not, with the fix', () => {
    for (const mode of [0o777, 0o1777, 0o770]) {
      const parent = join(dir, `mode-${mode.toString(8)}`);
      mkdirSync(parent);
      chmodSync(parent, mode);
      assert.throws(() => queueIn(parent).open(), {
        message: `queue directory ${parent} is writable by group or others (mode ${mode.toString(8).padStart(4, '0')}): chmod go-w ${parent}, or choose a directory only this user can write with --queue-file (as root the default /var/lib/inotify-csync)`,
      });
    }
  });

  test('a private directory inside one others can write without the sticky bit is refused; with it, accepted', () => {
    const open = join(dir, 'open');
    mkdirSync(join(open, 'q'), { recursive: true, mode: 0o700 });
    chmodSync(open, 0o777);
    assert.throws(() => queueIn(join(open, 'q')).open(), { message: new RegExp(`^queue directory ${join(open, 'q')} lies in ${open}, which group or others can write \\(mode 0777, no sticky bit\\)`) });
    chmodSync(open, 0o1777);
    const queue = queueIn(join(open, 'q'));
    queue.open();
    queue.close();
  });

  test('a directory owned by another user is refused', () => {
    const parent = join(dir, 'theirs');
    mkdirSync(parent, { mode: 0o700 });
    // As root (CI), the directory goes to another uid; otherwise this process poses as another user.
    const root = process.geteuid?.() === 0;
    if (root) chownSync(parent, 4242, 4242);
    const euid = root ? 0 : 4242;
    assert.throws(() => checkPrivateDirectory(parent, euid), {
      message: `queue directory ${parent} belongs to uid ${statSync(parent).uid}, not to this user (uid ${euid}) or root: choose a directory of your own with --queue-file, or chown ${euid} ${parent}`,
    });
  });

  test('a directory the queue creates is 0700, and the reset keeps the unread tail through the descriptor', async () => {
    const parent = join(dir, 'made', 'here');
    const queue = queueIn(parent);
    queue.open();
    assert.equal(statSync(parent).mode & 0o777, 0o700);
    for (const path of ['/a', '/b', '/c']) queue.append(path);
    queue.flush();
    assert.equal(queue.resetKeepingTail(encodeRecord('/a').length), Buffer.byteLength(['/b', '/c'].map(encodeRecord).join('')));
    queue.close();
    assert.deepEqual((await readBatch(join(parent, 'queue'), 0, 10)).paths, ['/b', '/c']);
  });
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseEventRecord } from '../../src/watch/event-record.js';
import { inotifywaitArgs } from '../../src/watch/inotifywait-args.js';

test('inotifywait is run with NUL-terminated records and the events the port needs', () => {
  const args = inotifywaitArgs('/srv/www');
  assert.deepEqual(args.slice(0, 7), ['--monitor', '--recursive', '--event', 'close_write,move,delete,create,attrib,delete_self,move_self', '--format', '%e %w%f%0', '--no-newline']);
  assert.deepEqual(args.slice(-2), ['--', '/srv/www']);
});

test('an event record gives the events and the path, spaces and newlines included', () => {
  const event = parseEventRecord(Buffer.from('CREATE,ISDIR /srv/www/new dir\nx'));
  assert.deepEqual(event, { events: ['CREATE', 'ISDIR'], path: '/srv/www/new dir\nx', validUtf8: true, isDir: true, overflow: false });
});

test('the overflow event is recognised', () => {
  assert.equal(parseEventRecord(Buffer.from('Q_OVERFLOW '))?.overflow, true);
});

test('a name that is not UTF-8 is replaced by its nearest valid parent directory', () => {
  const record = Buffer.concat([Buffer.from('CLOSE_WRITE,CLOSE /srv/www/dir/'), Buffer.from([0x66, 0xff, 0x6f])]);
  const event = parseEventRecord(record);
  assert.equal(event?.path, '/srv/www/dir');
  assert.equal(event?.validUtf8, false);
});

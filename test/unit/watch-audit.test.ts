import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseInotifyFdinfo, topMostMissing } from '../../src/watch/watch-audit.js';

test('watched inodes are read from inotify fdinfo, where wd and ino are hexadecimal', () => {
  const fdinfo = [
    'pos:\t0',
    'flags:\t00',
    'inotify wd:5f ino:220fa5 sdev:fe00000 mask:fff ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:a50f2200cbd8abc5',
    'inotify wd:9 ino:1a sdev:fe00000 mask:fff ignored_mask:0 fhandle-bytes:8 fhandle-type:1 f_handle:7e632100b2fc294d',
  ].join('\n');
  assert.deepEqual(parseInotifyFdinfo(fdinfo), [0x220fa5, 0x1a]);
});

test('only the top-most unwatched directories need a repair', () => {
  const dirs = [
    { path: '/r', ino: 1 },
    { path: '/r/a', ino: 2 },
    { path: '/r/a/b', ino: 3 },
    { path: '/r/c', ino: 4 },
    { path: '/r/c/d', ino: 5 },
  ];
  assert.deepEqual(topMostMissing(dirs, new Set([1, 4])), ['/r/a', '/r/c/d']);
});

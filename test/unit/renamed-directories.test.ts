import assert from 'node:assert/strict';
import { mock, test } from 'node:test';
import { RenamedDirectories } from '../../src/watch/renamed-directories.js';

// When a burst of directory renames has settled (fake clock), the areas that
// held them are checked as subtrees; an area that is gone itself asks for a
// full sync instead.

function harness(existing: string[]) {
  const rechecked: string[] = [];
  const gone: string[] = [];
  const renamed = new RenamedDirectories({
    recheck: (path) => rechecked.push(path),
    areaGone: (path) => gone.push(path),
    exists: (path) => existing.includes(path),
    settleMs: 1500,
    maxWaitMs: 10_000,
  });
  return { renamed, rechecked, gone };
}

test('areas are rechecked once renames have been quiet for settleMs, each once', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  try {
    const { renamed, rechecked } = harness(['/www/w0', '/www/w1']);
    renamed.noteRename('/www/w0');
    mock.timers.tick(1000);
    renamed.noteRename('/www/w1');
    renamed.noteRename('/www/w0');
    mock.timers.tick(1499);
    assert.deepEqual(rechecked, [], 'not while renames keep coming');
    mock.timers.tick(1);
    assert.deepEqual(rechecked, ['/www/w0', '/www/w1']);
  } finally {
    mock.timers.reset();
  }
});

test('renames that never stop are rechecked at the latest maxWaitMs after the first', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  try {
    const { renamed, rechecked } = harness(['/www/w0']);
    for (let t = 0; t < 12_000; t += 1000) {
      renamed.noteRename('/www/w0');
      mock.timers.tick(1000);
    }
    assert.ok(rechecked.length >= 1, 'a recheck ran within the renames');
  } finally {
    mock.timers.reset();
  }
});

test('an area that is gone when renames settle (a renamed top-level directory, a stale path) asks for a full sync', () => {
  mock.timers.enable({ apis: ['setTimeout', 'Date'] });
  try {
    const { renamed, rechecked, gone } = harness(['/www/d2']);
    renamed.noteRename('/www/d1');
    renamed.noteRename('/www/d2');
    mock.timers.tick(1500);
    assert.deepEqual(gone, ['/www/d1']);
    assert.deepEqual(rechecked, [], 'the full sync covers the rest');
  } finally {
    mock.timers.reset();
  }
});

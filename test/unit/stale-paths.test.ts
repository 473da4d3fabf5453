import assert from 'node:assert/strict';
import { test } from 'node:test';
import { widenStalePaths } from '../../src/batch/stale-paths.js';

// A fake file system: only these paths exist.
const existing = new Set(['/srv/www', '/srv/www/w1', '/srv/www/w1/d223', '/srv/www/w1/d223/f222', '/srv/www/a']);
const exists = (path: string): boolean => existing.has(path);

test('a path under a directory that no longer exists (a stale inotifywait path) adds its nearest existing ancestor below the root', () => {
  // d150 was moved to d223; inotifywait still reports its events under d150.
  assert.deepEqual(widenStalePaths(['/srv/www/w1/d150/f222'], ['/srv/www'], exists), ['/srv/www/w1/d150/f222', '/srv/www/w1']);
  assert.deepEqual(widenStalePaths(['/srv/www/w1/d150/d9/f1'], ['/srv/www'], exists), ['/srv/www/w1/d150/d9/f1', '/srv/www/w1']);
});

test('existing paths, deleted files in existing directories, and stale paths right below the root stay as they are', () => {
  assert.deepEqual(widenStalePaths(['/srv/www/w1/d223/f222', '/srv/www/w1/gone.txt'], ['/srv/www'], exists), ['/srv/www/w1/d223/f222', '/srv/www/w1/gone.txt']);
  assert.deepEqual(widenStalePaths(['/srv/www/old/f1'], ['/srv/www'], exists), ['/srv/www/old/f1'], 'the whole tree is left to the periodic full sync');
});

test('under the watch root / the nearest existing ancestor is checked too (the old strict-prefix test never matched //)', () => {
  const here = new Set(['/srv', '/srv/www']);
  assert.deepEqual(widenStalePaths(['/srv/www/gone/d/f'], ['/'], (path) => here.has(path)), ['/srv/www/gone/d/f', '/srv/www']);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isUnder, rootOf, topLevelUnder } from '../../src/paths/under-root.js';

test('a root holds itself and the paths below it, not a sibling that shares its name\'s start', () => {
  assert.ok(isUnder('/srv/www', '/srv/www'));
  assert.ok(isUnder('/srv/www/a/b', '/srv/www'));
  assert.ok(!isUnder('/srv/www2/a', '/srv/www'));
  assert.ok(!isUnder('/srv', '/srv/www'));
});

test('the root / holds every absolute path', () => {
  assert.ok(isUnder('/', '/'));
  assert.ok(isUnder('/etc/hosts', '/'));
});

test('a root written with a trailing slash holds the paths below it', () => {
  assert.ok(isUnder('/srv/www/a', '/srv/www/'));
  assert.ok(isUnder('/srv/www/', '/srv/www/'));
});

test('rootOf names the first root holding the path', () => {
  assert.equal(rootOf('/srv/b/x', ['/srv/a', '/srv/b']), '/srv/b');
  assert.equal(rootOf('/srv/c/x', ['/srv/a', '/srv/b']), undefined);
  assert.equal(rootOf('/srv/a/x', ['/srv/a/x', '/srv/a']), '/srv/a/x');
});

test('topLevelUnder gives the entry directly below the root, and nothing for the root itself', () => {
  assert.equal(topLevelUnder('/srv/www/d/e/f', ['/srv/www']), '/srv/www/d');
  assert.equal(topLevelUnder('/srv/www/d', ['/srv/www']), '/srv/www/d');
  assert.equal(topLevelUnder('/srv/www', ['/srv/www']), undefined);
  assert.equal(topLevelUnder('/etc/x/y', ['/']), '/etc');
  assert.equal(topLevelUnder('/', ['/']), undefined);
  assert.equal(topLevelUnder('/other/x', ['/srv/www']), undefined);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { decodePrefix, joinPrefix, splitPrefix } from '../../../src/config/prefix-path.js';

test('splitPrefix parts a %name%rest pattern, and says when the closing % is missing', () => {
  assert.deepEqual(splitPrefix('%data%/a/*.txt'), { name: 'data', rest: '/a/*.txt', closed: true });
  assert.deepEqual(splitPrefix('%data%'), { name: 'data', rest: '', closed: true });
  assert.deepEqual(splitPrefix('%a%b%c'), { name: 'a', rest: 'b%c', closed: true });
  assert.deepEqual(splitPrefix('%data'), { name: 'data', rest: '', closed: false });
  assert.equal(splitPrefix('/srv/a'), undefined);
  assert.equal(splitPrefix('*.o'), undefined);
});

test('joinPrefix puts the rest after the prefix directory, without a doubled slash for the prefix /', () => {
  assert.equal(joinPrefix('/srv/a', '/d/x'), '/srv/a/d/x');
  assert.equal(joinPrefix('/srv/a', ''), '/srv/a');
  assert.equal(joinPrefix('/', '/etc'), '/etc');
  assert.equal(joinPrefix('/', ''), '/');
  // A rest without its slash (a pattern `%p%x`) is appended as csync2 appends it.
  assert.equal(joinPrefix('/srv/a', 'x'), '/srv/ax');
  assert.equal(joinPrefix('/', 'x'), '/x');
});

test('decodePrefix gives this host\'s path of a name csync2 printed', () => {
  const prefixes = { data: '/srv/a', root: '/' };
  assert.equal(decodePrefix('%data%/d/x y', prefixes), '/srv/a/d/x y');
  assert.equal(decodePrefix('%data%', prefixes), '/srv/a');
  assert.equal(decodePrefix('%data%/line\nbreak', prefixes), '/srv/a/line\nbreak');
  assert.equal(decodePrefix('/plain/a', prefixes), '/plain/a');
  assert.equal(decodePrefix('%nope%/x', prefixes), undefined);
  assert.equal(decodePrefix('%data', prefixes), undefined);
});

test('decodePrefix under the prefix / gives a clean absolute path (the daemon\'s own copy gave //etc)', () => {
  assert.equal(decodePrefix('%root%/etc', { root: '/' }), '/etc');
  assert.equal(decodePrefix('%root%', { root: '/' }), '/');
  // rsync-dirty's copy gave the relative `etc` for this name csync2 never prints.
  assert.equal(decodePrefix('%root%etc', { root: '/' }), '/etc');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { fixedRoot, parseCsync2Config, selectScope, watchRoots } from '../../../src/config/index.js';
import { fixture } from './helpers.js';

const config = (name: string) => parseCsync2Config(fixture(name), `/etc/${name}`);

test('seed style: peers, roots, patterns', () => {
  const scope = selectScope(config('seed-style.cfg'), { host: 'host1' });
  assert.deepEqual(scope.groups, ['mygroup']);
  assert.deepEqual(scope.peers, [{ name: 'host2', host: 'host2', readOnly: false }]);
  assert.equal(scope.pushes, true);
  assert.deepEqual(scope.watchRoots, ['/home/nginx/domains']);
  assert.deepEqual(scope.patterns, [
    { kind: 'include', pattern: '/home/nginx/domains' },
    { kind: 'exclude', pattern: '*~' },
    { kind: 'exclude', pattern: '.*' },
  ]);
  assert.equal(scope.tempdir, undefined);
});

test('only groups listing this host count; peers once, in order; @address is the peer name', () => {
  const scope = selectScope(config('multi-group.cfg'), { host: 'N1' });
  assert.equal(scope.host, 'n1');
  assert.deepEqual(scope.groups, ['g1', 'g2', 'g4']);
  assert.deepEqual(scope.peers, [
    { name: 'n2', host: 'n2', readOnly: false },
    { name: 'n3', host: 'n3', readOnly: true },
    { name: 'n4', host: 'n4', readOnly: false },
  ]);
  assert.equal(scope.pushes, true);
  assert.deepEqual(scope.watchRoots, ['/srv/a', '/srv/b', '/srv/d']);
  assert.deepEqual(scope.groupPatterns?.map((g) => g.name), ['g1', 'g2', 'g4']);
});

test('-G narrows the groups; a host read-only everywhere does not push', () => {
  const scope = selectScope(config('multi-group.cfg'), { host: 'n1', groups: ['g4'] });
  assert.deepEqual(scope.groups, ['g4']);
  assert.equal(scope.pushes, false);
  assert.deepEqual(scope.peers, [{ name: 'n2', host: 'n2', readOnly: false }]);
  assert.throws(() => selectScope(config('multi-group.cfg'), { host: 'n1', groups: ['g3'] }), {
    message: "no group named by -G g3 lists host 'n1' in /etc/multi-group.cfg (groups listing it: g1, g2, g4)",
  });
});

test('a host listed as name@address is matched by its name', () => {
  const scope = selectScope(config('hosts.cfg'), { host: 'beta' });
  assert.deepEqual(scope.peers.map((p) => `${p.name}${p.readOnly ? ' (ro)' : ''}`), ['alpha', 'gamma (ro)', 'gamma-eth1 (ro)', 'epsilon']);
  assert.throws(() => selectScope(config('hosts.cfg'), { host: '10.0.0.2' }), ConfigError);
});

test('prefixes resolve per host with shell patterns; the first matching line wins', () => {
  const one = selectScope(config('prefix.cfg'), { host: 'host1' });
  assert.deepEqual(one.watchRoots, ['/export/users/bob']);
  assert.deepEqual(one.patterns.map((p) => p.pattern), ['/export/users/bob', '/export/users/bob/temp']);
  assert.deepEqual(one.groupPatterns?.[0]?.patterns[0], { kind: 'include', pattern: '/export/users/bob', raw: '%homedir%/bob', prefix: 'homedir' });
  const three = selectScope(config('prefix.cfg'), { host: 'host3' });
  assert.deepEqual(three.watchRoots, ['/home/bob']);
});

test('a prefix with no line for this host: its patterns never match (csync2 is silent); we warn', () => {
  const cfg = parseCsync2Config('group g { host a; key /k; include %p% /srv/x; exclude %p%/tmp; }\nprefix p { on b: /b; }', '/etc/c.cfg');
  const scope = selectScope(cfg, { host: 'a' });
  assert.deepEqual(scope.watchRoots, ['/srv/x']);
  assert.deepEqual(scope.warnings, [
    "include %p% in group 'g' is ignored: prefix 'p' has no 'on' line matching host 'a'",
    "exclude %p%/tmp in group 'g' is ignored: prefix 'p' has no 'on' line matching host 'a'",
  ]);
  assert.throws(() => selectScope(parseCsync2Config('group g { host a; key /k; include %p%; }', '/etc/c.cfg'), { host: 'a' }), {
    message: "no include pattern for host 'a' in /etc/c.cfg (groups g): nothing to sync; add 'include /path;' to a group (include %p% in group 'g' is ignored: prefix 'p' has no 'on' line matching host 'a')",
  });
});

test('no group lists this host', () => {
  assert.throws(() => selectScope(config('seed-style.cfg'), { host: 'stranger' }), {
    message: "no group in /etc/seed-style.cfg lists host 'stranger' (check -N, or add it to a host line)",
  });
});

test('no include pattern', () => {
  const cfg = parseCsync2Config('group g { host a; key /k; exclude *~; include *.conf; }', '/etc/c.cfg');
  assert.throws(() => selectScope(cfg, { host: 'a' }), /no include pattern for host 'a' in \/etc\/c\.cfg \(groups g\): nothing to sync/);
});

test('watch roots: fixed leading part, nested removed, sorted', () => {
  assert.equal(fixedRoot('/srv/www/*.conf'), '/srv/www');
  assert.equal(fixedRoot('/srv/w?w/x'), '/srv');
  assert.equal(fixedRoot('/*'), '/');
  assert.equal(fixedRoot('/etc/shells'), '/etc/shells');
  assert.deepEqual(watchRoots(['/b/x', '/a/b', '/a', '/ab', '/b/x/y/*']), ['/a', '/ab', '/b/x']);
});

test('tempdir is carried into the scope', () => {
  const scope = selectScope(config('toplevel.cfg'), { host: 'a' });
  assert.equal(scope.tempdir, '/var/tmp/csync2');
});

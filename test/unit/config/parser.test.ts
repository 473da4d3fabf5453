import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError } from '../../../src/errors.js';
import { parseCsync2Config } from '../../../src/config/index.js';
import { fixture } from './helpers.js';

const parse = (name: string) => parseCsync2Config(fixture(name), name);

test("csync2's shipped example (all commented out) parses to nothing", () => {
  const config = parse('csync2-example.cfg');
  assert.deepEqual(config.groups, []);
  assert.deepEqual(config.prefixes, []);
});

test("csync2's example, uncommented, parses completely", () => {
  const config = parse('csync2-example-active.cfg');
  const [group] = config.groups;
  assert.ok(group);
  assert.equal(group.name, 'mygroup');
  assert.deepEqual(group.hosts, [
    { name: 'host1', readOnly: false },
    { name: 'host2', readOnly: false },
    { name: 'host3', readOnly: true },
    { name: 'host4', address: 'host4-eth2', readOnly: false },
  ]);
  assert.equal(group.key, '/etc/csync2.key_mygroup');
  assert.deepEqual(group.patterns.map((p) => `${p.kind} ${p.pattern}`), [
    'include /etc/apache',
    'include %homedir%/bob',
    'exclude %homedir%/bob/temp',
    'exclude *~',
    'exclude .*',
  ]);
  assert.deepEqual(group.actions, [{
    patterns: ['/etc/apache/httpd.conf', '/etc/apache/sites-available/*'],
    exec: ['/usr/sbin/apache2ctl graceful'],
    logfile: '/var/log/csync2_action.log',
    doLocal: true,
    doLocalOnly: false,
  }]);
  assert.equal(group.backupDirectory, '/var/backups/csync2');
  assert.equal(group.backupGenerations, 3);
  assert.equal(group.auto, 'none');
  assert.deepEqual(config.prefixes.map((p) => [p.name, p.entries]), [
    ['homedir', [{ hostPattern: 'host[12]', path: '/export/users' }, { hostPattern: '*', path: '/home' }]],
  ]);
});

test('seed-style config', () => {
  const [group] = parse('seed-style.cfg').groups;
  assert.deepEqual(group?.hosts.map((h) => h.name), ['host1', 'host2']);
  assert.deepEqual(group?.patterns.map((p) => p.pattern), ['/home/nginx/domains', '*~', '.*']);
  assert.equal(group?.auto, 'younger');
  assert.deepEqual(group?.patterns[0]?.location, { file: 'seed-style.cfg', line: 6, column: 10 });
});

test('host lists: several per statement, read-only in parentheses, name@address, lower-cased', () => {
  const [group] = parse('hosts.cfg').groups;
  assert.deepEqual(group?.hosts, [
    { name: 'alpha', readOnly: false },
    { name: 'beta', address: '10.0.0.2', readOnly: false },
    { name: 'gamma', readOnly: true },
    { name: 'delta', address: 'gamma-eth1', readOnly: true },
    { name: 'epsilon', readOnly: false },
  ]);
});

test('prefix blocks keep host patterns; trailing slashes go, as in csync2', () => {
  const config = parse('prefix.cfg');
  assert.deepEqual(config.groups[0]?.patterns.map((p) => p.pattern), ['%homedir%/bob', '%homedir%/bob/temp']);
  assert.deepEqual(config.prefixes[0]?.entries, [
    { hostPattern: 'host[12]', path: '/export/users' },
    { hostPattern: '*', path: '/home' },
  ]);
});

test('action blocks, backup settings', () => {
  const [group] = parse('action.cfg').groups;
  assert.equal(group?.actions.length, 2);
  assert.deepEqual(group?.actions[1], {
    patterns: ['/etc/apache2/mods-enabled/*'],
    exec: ['touch /tmp/x', 'echo %%'],
    doLocal: true,
    doLocalOnly: true,
  });
  assert.equal(group?.actions[0]?.logfile, '/var/log/csync2_action.log');
  assert.equal(group?.backupGenerations, 5);
});

test('top-level statements', () => {
  const config = parse('toplevel.cfg');
  assert.deepEqual(config.nossl, [{ from: '*', to: '*' }, { from: '10.0.0.*', to: '192.168.*' }]);
  assert.equal(config.tempdir, '/var/tmp/csync2');
  assert.equal(config.lockTimeout, 30);
  assert.equal(config.database, '/var/lib/csync2/custom.db', 'csync2 keeps the first database statement');
  assert.deepEqual(config.ignore, ['uid', 'gid', 'mod']);
  assert.equal(config.noCygwinLowercase, true);
  assert.equal(config.groups.length, 1);
});

test('quoted strings, comments inside words, empty "" strings', () => {
  const [group] = parse('quoting.cfg').groups;
  assert.equal(group?.name, 'my group');
  assert.equal(group?.key, '/etc/csync2 keys/k');
  assert.deepEqual(group?.patterns.map((p) => `${p.kind} ${p.pattern}`), [
    'include /srv/with space',
    'include /srv/plain',
    'exclude *.tmp',
    'exclude *~',
  ]);
});

test('braces and statements across lines; unnamed groups are group_1, group_2', () => {
  const config = parse('braces.cfg');
  assert.deepEqual(config.groups.map((g) => g.name), ['g', 'group_1', 'group_2']);
  assert.deepEqual(config.groups[0]?.patterns.map((p) => p.pattern), ['/a:b', '/c']);
  assert.deepEqual(config.prefixes[0]?.entries.map((e) => `${e.hostPattern}=${e.path}`), ['a=/x', 'b=/y', 'c=/z']);
});

test("compare: csync2's grammar makes all but the last pattern includes", () => {
  const [group] = parse('compare.cfg').groups;
  assert.deepEqual(group?.compare, ['/cmp3']);
  assert.deepEqual(group?.patterns.map((p) => `${p.kind} ${p.pattern}`), ['include /cmp1', 'include /cmp2', 'include /data']);
});

test('config FILE; needs a resolver, and splices the named file in place', () => {
  assert.throws(() => parse('include-main.cfg'), /include-main\.cfg:2:8: 'config include-part\.cfg;' needs the file system/);
  const config = parseCsync2Config(fixture('include-main.cfg'), 'include-main.cfg', {
    resolveInclude: (name) => ({ file: name, text: fixture(name) }),
  });
  assert.deepEqual(config.groups.map((g) => g.name), ['part', 'main']);
  assert.deepEqual(config.includedFiles, ['include-part.cfg']);
});

test('config includes nested more than 10 deep fail as in csync2', () => {
  const resolveInclude = (name: string) => ({ file: name, text: `config ${name};` });
  assert.throws(() => parseCsync2Config('config loop.cfg;', 'main.cfg', { resolveInclude }), /config includes nested too deeply/);
});

const ERRORS: Array<[string, string]> = [
  ['err-missing-semicolon.cfg', "err-missing-semicolon.cfg:1:38: expected ';' after include pattern, found '}'"],
  ['err-no-key.cfg', "err-no-key.cfg:1:1: group 'g' has no key (csync2 requires 'key FILE;' in every group)"],
  ['err-two-keys.cfg', "err-two-keys.cfg:1:27: group 'g' has a second 'key' (csync2 allows one key per group)"],
  ['err-auto.cfg', "err-auto.cfg:2:8: unknown auto method 'newest' (use none, first, younger, older, bigger, smaller, left, right)"],
  ['err-prefix-relative.cfg', "err-prefix-relative.cfg:2:9: prefix 'p' path 'relative/path' is not an absolute path"],
  ['err-ignore.cfg', "err-ignore.cfg:1:8: unknown 'ignore' property 'owner' (csync2 knows uid, gid and mod)"],
  ['err-brace-glued.cfg', "err-brace-glued.cfg:1:10: expected '{' after group name 'g{', found 'host' ('g{' is one word to csync2: put spaces around '{' and '}')"],
  ['err-unterminated.cfg', `err-unterminated.cfg:1:23: unterminated quoted string: no closing '"' before the end of the file`],
  ['err-unknown-statement.cfg', "err-unknown-statement.cfg:2:1: expected a top-level statement ('group', 'prefix', 'nossl', 'tempdir', 'lock-timeout', 'database', 'ignore' or 'no-cygwin-lowercase'), found 'frobnicate'"],
  ['err-paren.cfg', "err-paren.cfg:1:20: expected ')' to close the read-only host list, found ';'"],
  ['err-keyword-as-pattern.cfg', "err-keyword-as-pattern.cfg:1:35: expected ';' after include pattern, found 'exclude' ('exclude' is a csync2 keyword: quote it to use it as a name)"],
];

for (const [name, message] of ERRORS) {
  test(`error: ${name}`, () => {
    assert.throws(() => parse(name), (error: unknown) => {
      assert.ok(error instanceof ConfigError);
      assert.equal(error.message, message);
      return true;
    });
  });
}

test('statements csync2 accepts although they look odd', () => {
  const config = parseCsync2Config('group g { host; include; exclude; key /k; } group h { host a; key /k; action { } }', 'ok.cfg');
  assert.equal(config.groups.length, 2);
  assert.throws(() => parseCsync2Config('group g { key /k; ; }', 'x.cfg'), /x\.cfg:1:19: expected a statement of group 'g'/);
  assert.throws(() => parseCsync2Config('group g { key /k; };', 'x.cfg'), /x\.cfg:1:20: expected a top-level statement/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createPathMatcher,
  csync2TempName,
  describeScope,
  fnmatch,
  inotifyExcludeRegex,
  isCsync2TempFile,
  matchFile,
  parseCsync2Config,
  selectScope,
  TEMPDIR_WARNING,
} from '../../../src/config/index.js';
import { exposeGc } from '../../../src/process/idle-gc.js';
import { fixture } from './helpers.js';

const scopeOf = (text: string, host = 'a') => selectScope(parseCsync2Config(text, '/etc/csync2.cfg'), { host });

test('fnmatch agrees with glibc on the flags csync2 uses (cases checked against libc)', () => {
  const P = { pathname: true };
  const PL = { pathname: true, leadingDir: true };
  assert.equal(fnmatch('/a/*', '/a/b/c', P), false);
  assert.equal(fnmatch('/a/*', '/a/b/c', PL), true);
  assert.equal(fnmatch('/a/*/c', '/a/x/c', P), true);
  assert.equal(fnmatch('/a/b', '/a/bb', PL), false);
  assert.equal(fnmatch('/a/[/]x', '/a//x', P), false);
  assert.equal(fnmatch('[!a]*', 'bx'), true);
  assert.equal(fnmatch('[]a]', ']'), true);
  assert.equal(fnmatch('[[:digit:]]*', '1a'), true);
  assert.equal(fnmatch('\\*', '*'), true);
  assert.equal(fnmatch('a\\', 'a\\'), false);
  assert.equal(fnmatch('[a', '[a'), true);
  assert.equal(fnmatch('.*', '.x'), true, 'no FNM_PERIOD');
  assert.equal(fnmatch('*', '/a/b'), true, 'without FNM_PATHNAME * crosses /');
});

test('pathname patterns match the path or a leading directory; basename patterns the last name', () => {
  const scope = scopeOf(fixture('seed-style.cfg').replaceAll('host1', 'a'));
  const synced = createPathMatcher(scope, { mode: 'direct' });
  assert.equal(synced('/home/nginx/domains'), true);
  assert.equal(synced('/home/nginx/domains/x/index.html'), true);
  assert.equal(synced('/home/nginx/domainsx'), false);
  assert.equal(synced('/home/nginx/domains/x/index.html~'), false);
  assert.equal(synced('/home/nginx/domains/.htaccess'), false);
  assert.equal(synced('/home/nginx'), false);
  // Checked directly, csync2 does sync a plain name under a dot directory...
  assert.equal(synced('/home/nginx/domains/.git/config'), true);
  // ...but its recursive walk never enters the excluded .git, so a full sync never does.
  assert.equal(createPathMatcher(scope)('/home/nginx/domains/.git/config'), false);
});

// The daemon asks the matcher about every event: a churn of new names must not be kept.
test('a matcher keeps nothing per file name: 70,000 new names in 1,700 directories leave the heap as it was', () => {
  const gc = exposeGc();
  assert.ok(gc, 'a full collection is available');
  const synced = createPathMatcher(scopeOf('group g { host a; key /k; include /srv/www; exclude *~; exclude /srv/www/*/cache; }'));
  const name = (i: number): string => `/srv/www/site${i % 17}/d${String(i % 1700).padStart(4, '0')}/file-${i}.html`;
  assert.equal(synced(name(0)), true);
  gc();
  const before = process.memoryUsage().heapUsed;
  for (let i = 1; i < 70_000; i++) assert.equal(synced(name(i)), true);
  assert.equal(synced('/srv/www/site1/cache/x.html'), false);
  gc();
  const grownKb = (process.memoryUsage().heapUsed - before) / 1024;
  assert.ok(grownKb < 1024, `the heap grew by ${grownKb.toFixed(0)} kB`);
  assert.equal(synced(name(1)), true, 'the matcher (and whatever it keeps) is still in use');
});

test('a parent of an include is walked through, not synced', () => {
  const scope = scopeOf('group g { host a; key /k; include /a/b/c; }');
  assert.equal(matchFile(scope, '/a/b'), 1);
  assert.equal(matchFile(scope, '/a'), 1);
  assert.equal(matchFile(scope, '/a/b/c/d'), 2);
  assert.equal(matchFile(scope, '/a/x'), 0);
  assert.equal(createPathMatcher(scope)('/a/b'), false);
});

test('the last matching pattern of each kind wins; include after exclude', () => {
  const scope = scopeOf('group g { host a; key /k; include /t; exclude /t/*/cache; include /t/b/cache/keep*; exclude .*; include .keep; }');
  const synced = createPathMatcher(scope);
  assert.equal(synced('/t/a/cache/f'), false);
  assert.equal(synced('/t/b/cache/keep1/f'), true);
  assert.equal(synced('/t/b/cache/other'), false);
  assert.equal(synced('/t/x/.keep'), true);
  assert.equal(synced('/t/x/.dot'), false);
});

test('any group that includes a path syncs it', () => {
  const scope = selectScope(parseCsync2Config(fixture('multi-group.cfg'), 'm.cfg'), { host: 'n1' });
  const synced = createPathMatcher(scope);
  assert.equal(synced('/srv/a/x.log'), false);
  assert.equal(synced('/srv/a/logs/x.log'), true, 'g2 includes it');
  assert.equal(synced('/srv/b/cache1/f'), false);
  assert.equal(synced('/srv/c/f'), false, 'g3 does not list n1');
  assert.equal(synced('/srv/d/q/x/f'), true);
});

test('%prefix% patterns match under the prefix path; plain ones keep matching the real path', () => {
  const scope = scopeOf('group g1 { host a; key /k; include /t/a; exclude %data%/sub; }\ngroup g2 { host a; key /k; include %data%; exclude /t/a/logs; }\nprefix data { on *: /t/a; }');
  const synced = createPathMatcher(scope);
  assert.equal(synced('/t/a/sub/f'), true, 'g1 syncs it as /t/a/sub/f, where %data%/sub does not apply');
  assert.equal(synced('/t/a/logs/f'), true, 'g2 syncs it as %data%/logs/f');
  assert.equal(matchFile(scope, '%data%/sub/f'), 2);
});

test('** makes every * of the pattern cross directories', () => {
  const scope = scopeOf('group g { host a; key /k; include /t/**/keep; include /t/d; exclude /t/d/**.txt; }');
  const synced = createPathMatcher(scope);
  assert.equal(synced('/t/x/y/keep'), true);
  assert.equal(synced('/t/d/e/f.txt'), false);
  assert.equal(synced('/t/d/e/f.log'), true);
});

test('? matches one byte, as csync2 in the C locale', () => {
  const scope = scopeOf('group g { host a; key /k; include /t; exclude ?.txt; }');
  const synced = createPathMatcher(scope);
  assert.equal(synced('/t/a.txt'), false);
  assert.equal(synced('/t/é.txt'), true);
});

test('inotify exclude regex: safe exclusions only', () => {
  const seed = scopeOf('group g { host a b; key /k; include /home/nginx/domains; exclude *~ .*; }');
  assert.equal(inotifyExcludeRegex(seed), '(^/home/nginx/domains/(.*/)?[^/]*~(/|$))|(^/home/nginx/domains/(.*/)?\\.[^/]*(/|$))');
  const re = new RegExp(inotifyExcludeRegex(seed) as string);
  assert.equal(re.test('/home/nginx/domains/x/.git/objects'), true);
  assert.equal(re.test('/home/nginx/domains/x/index.html'), false);

  const path = scopeOf('group g { host a; key /k; include /srv; exclude /srv/cache* /srv/tmp; include /srv/tmp/keep; }');
  assert.equal(inotifyExcludeRegex(path), '^/srv/cache[^/]*(/|$)', '/srv/tmp is re-included below');

  const reincluded = scopeOf('group g { host a; key /k; include /t; exclude .*; include .keep; }');
  assert.equal(inotifyExcludeRegex(reincluded), undefined);

  const walked = scopeOf('group g { host a; key /k; include /t /t/.hidden/in; exclude .*; }');
  assert.equal(inotifyExcludeRegex(walked), undefined, 'csync2 walks into /t/.hidden to reach the include');

  const otherGroup = scopeOf('group g1 { host a; key /k; include /t; exclude *.log; }\ngroup g2 { host a; key /k; include /t/logs; }');
  assert.equal(inotifyExcludeRegex(otherGroup), undefined);

  const byteWise = scopeOf('group g { host a; key /k; include /t; exclude ?.txt [!x]*; }');
  assert.equal(inotifyExcludeRegex(byteWise), undefined);
});

test('csync2 temp files', () => {
  assert.equal(isCsync2TempFile('/srv/www/.index.html.Ab3xYz'), true);
  assert.equal(isCsync2TempFile('/srv/www/.bashrc.000aZ9'), true);
  assert.equal(isCsync2TempFile('/srv/www/index.html'), false);
  assert.equal(isCsync2TempFile('/srv/www/.index.html'), false);
  assert.equal(isCsync2TempFile('/srv/www/.index.html.Ab3x-z'), false);
  assert.equal(csync2TempName('.bashrc'), '.bashrc.XXXXXX');
  assert.equal(csync2TempName('a.'), '.a.XXXXXX');
  assert.equal(csync2TempName('x'.repeat(300)).length, 1 + 246 + 7);
});

test('describeScope: start-up lines, with the tempdir warning', () => {
  const scope = selectScope(parseCsync2Config(fixture('multi-group.cfg'), '/etc/csync2.cfg'), { host: 'n1' });
  assert.deepEqual(describeScope(scope), [
    'host: n1',
    'config: /etc/csync2.cfg',
    'groups: g1, g2, g4',
    'peers: n2, n3 (read-only), n4',
    'watch roots: /srv/a, /srv/b, /srv/d',
    'exclude patterns: *.log /srv/b/cache*',
    `warning: ${TEMPDIR_WARNING}`,
  ]);
  const withTemp = selectScope(parseCsync2Config(fixture('toplevel.cfg'), '/etc/csync2.cfg'), { host: 'a' });
  assert.equal(describeScope(withTemp).at(-1), 'tempdir: /var/tmp/csync2');
  const inside = scopeOf('tempdir /srv/tmp; group g { host (a) b; key /k; include /srv; }');
  const lines = describeScope(inside);
  assert.equal(lines[0], 'host: a (read-only: receives only, never pushes)');
  assert.equal(lines.at(-1), `warning: ${TEMPDIR_WARNING}`);
});

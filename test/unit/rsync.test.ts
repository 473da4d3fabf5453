import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseCsync2Config, selectScope } from '../../src/config/index.js';
import { silentLogger } from '../../src/log/logger.js';
import { ChildProcesses } from '../../src/process/child-processes.js';
import { mapRoot, pathsByRoot, peerRoots, relativeTo } from '../../src/sync/peer-paths.js';
import { classifyRsyncExit, rsyncDelivered } from '../../src/sync/rsync-outcome.js';
import { decodePrefix } from '../../src/config/prefix-path.js';
import { parseDirtyList } from '../../src/sync/rsync-dirty.js';
import { filesFromList, removedDirectories, rsyncArgs, RsyncSender } from '../../src/sync/rsync-sender.js';
import { peerUnreachable } from '../../src/sync/peer-health.js';
import { expandRsyncTarget, isDaemonTarget } from '../../src/sync/rsync-target.js';
import { needsArgProtection, parseArgProtection } from '../../src/sync/rsync-capabilities.js';

const CONFIG = `
group web {
  host alpha beta (gamma) delta@10.0.0.4;
  key /etc/csync2.key;
  include %www%;
  include %etc%/nginx;
  include /srv/shared;
  exclude *.tmp;
}
prefix www {
  on alpha: /var/www;
  on beta: /srv/www;
  on gamma: /data/www;
  on delta: /var/www;
}
prefix etc {
  on alpha: /etc;
  on beta: /etc;
}
`;

test('a peer root is the peer\'s prefix directory, else the same path', () => {
  const config = parseCsync2Config(CONFIG, '/etc/csync2/csync2.cfg');
  const scope = selectScope(config, { host: 'alpha' });
  assert.deepEqual(scope.watchRoots, ['/etc/nginx', '/srv/shared', '/var/www']);
  const beta = scope.peers.find((p) => p.name === 'beta');
  const gamma = scope.peers.find((p) => p.name === 'gamma');
  const delta = scope.peers.find((p) => p.name === '10.0.0.4');
  assert.ok(beta && gamma && delta);
  assert.deepEqual(peerRoots(scope, beta), [
    { kind: 'mapped', localRoot: '/etc/nginx', peerRoot: '/etc/nginx', module: 'etc/nginx' },
    { kind: 'mapped', localRoot: '/srv/shared', peerRoot: '/srv/shared', module: 'shared' },
    { kind: 'mapped', localRoot: '/var/www', peerRoot: '/srv/www', module: 'www' },
  ]);
  const forGamma = peerRoots(scope, gamma);
  assert.equal(forGamma[0]?.kind, 'unmapped', 'gamma has no etc prefix: csync2 decides');
  assert.match(forGamma[0]?.kind === 'unmapped' ? forGamma[0].reason : '', /prefix 'etc' has no 'on' line/);
  assert.deepEqual(forGamma[2], { kind: 'mapped', localRoot: '/var/www', peerRoot: '/data/www', module: 'www' });
  // host@address: the prefix lines name the host, rsync connects to the address.
  assert.deepEqual(peerRoots({ ...scope, watchRoots: ['/var/www'] }, delta)[0], { kind: 'mapped', localRoot: '/var/www', peerRoot: '/var/www', module: 'www' });
});

test('a root holding a prefix that lies elsewhere on the peer is not mapped', () => {
  const nested = mapRoot('/srv', { data: '/srv/data' }, { data: '/mnt/data' });
  assert.equal(nested.kind, 'unmapped');
  assert.deepEqual(mapRoot('/srv', { data: '/srv/data' }, { data: '/srv/data' }), { kind: 'mapped', localRoot: '/srv', peerRoot: '/srv', module: 'srv' });
  assert.equal(mapRoot('/a/b', { x: '/a', y: '/a/b' }, { x: '/p', y: '/q' }).kind, 'unmapped', 'two prefixes disagree');
  assert.deepEqual(mapRoot('/a/b', { x: '/a', y: '/a/b' }, { x: '/p', y: '/p/b' }).kind, 'mapped');
  assert.deepEqual(mapRoot('/srv/x', { root: '/' }, { root: '/' }), { kind: 'mapped', localRoot: '/srv/x', peerRoot: '/srv/x', module: 'root/srv/x' });
});

test('paths go to the longest root that holds them, relative to it', () => {
  const groups = pathsByRoot(['/w/a', '/w', '/w/sub/x', '/wx/y', '/other/z', '/w/subx'], ['/w', '/w/sub', '/wx']);
  assert.deepEqual(Object.fromEntries(groups), { '/w': ['/w/a', '/w', '/w/subx'], '/w/sub': ['/w/sub/x'], '/wx': ['/wx/y'] });
  assert.equal(relativeTo('/w', '/w'), '.');
  assert.equal(relativeTo('/w', '/w/a b/c'), 'a b/c');
  assert.deepEqual(filesFromList('/w', ['/w/a', '/w/line\nbreak', '/w/-dash']), Buffer.from('a\0line\nbreak\0-dash\0'));
});

test('the target template expands to the peer\'s directory with one trailing slash', () => {
  const values = { host: 'beta', peerRoot: '/srv/www', module: 'www' };
  assert.equal(expandRsyncTarget('{host}:{path}', values), 'beta:/srv/www/');
  assert.equal(expandRsyncTarget('{host}:{path}/', values), 'beta:/srv/www/');
  assert.equal(expandRsyncTarget('rsync://{host}:8873/{module}/', values), 'rsync://beta:8873/www/');
  assert.equal(expandRsyncTarget('rsync://{host}/root/{relpath}', values), 'rsync://beta/root/srv/www/');
  assert.equal(expandRsyncTarget('{host}::{module}', { ...values, module: 'data/sub' }), 'beta::data/sub/');
  assert.ok(isDaemonTarget('rsync://beta/www/'));
  assert.ok(isDaemonTarget('beta::www/'));
  assert.ok(!isDaemonTarget('beta:/srv/www/'));
});

test('rsync exit codes are looked up as lsyncd does', () => {
  const exit = (exitCode: number | undefined, stderr = '') => classifyRsyncExit({ exitCode, stderr, timedOut: false });
  assert.equal(exit(0).kind, 'ok');
  assert.equal(exit(24, 'file has vanished: "/w/.x.AbCdEf"\n').kind, 'vanished');
  assert.equal(exit(23).kind, 'partial');
  for (const code of [5, 10, 12, 30, 35, 255]) assert.equal(exit(code).kind, 'unreachable', `exit ${code}`);
  for (const code of [1, 2, 3, 4, 11, 22, 99]) assert.equal(exit(code).kind, 'failed', `exit ${code}`);
  assert.equal(exit(undefined).kind, 'failed');
  assert.equal(classifyRsyncExit({ exitCode: undefined, stderr: '', timedOut: true }).kind, 'timeout');
  const refused = exit(10, 'rsync: [Receiver] failed to connect to 127.0.0.3 (127.0.0.3): Connection refused (111)\nrsync error: error in socket IO (code 10) at clientserver.c(139) [Receiver=3.2.7]\n');
  assert.deepEqual(refused, { kind: 'unreachable', detail: 'rsync exit 10 (error in socket I/O): rsync: [Receiver] failed to connect to 127.0.0.3 (127.0.0.3): Connection refused (111)' });
  assert.ok(rsyncDelivered({ kind: 'vanished', detail: '' }));
  assert.ok(!rsyncDelivered({ kind: 'partial', detail: '' }));
});

test('rsync gets only the listed paths, deletions included, no recursion and no --delete', () => {
  const args = rsyncArgs({ source: '/var/www/', target: 'rsync://beta/www/', rsh: 'ssh -p 2222', ioTimeoutS: 30 });
  assert.ok(args.includes('--delete-missing-args'));
  assert.ok(args.includes('--from0') && args.includes('--files-from=-'));
  assert.ok(args.includes('--contimeout=30'));
  assert.deepEqual(args.slice(args.indexOf('-e'), args.indexOf('-e') + 2), ['-e', 'ssh -p 2222']);
  assert.deepEqual(args.slice(-3), ['--', '/var/www/', 'rsync://beta/www/']);
  assert.ok(!args.some((arg) => arg === '-r' || arg.startsWith('--delete') && arg !== '--delete-missing-args' || arg === '--force'));
  assert.ok(!rsyncArgs({ source: '/a/', target: 'b:/a/', ioTimeoutS: 30 }).some((arg) => arg.startsWith('--contimeout') || arg === '-e'));
});

test('the sender skips a read-only host, an include of / and unmapped roots without running rsync', async () => {
  const config = parseCsync2Config(`
group g { host a (b) c; key /k; include /; include %x%; }
prefix x { on a: /srv/x; on b: /srv/x; }
`, '/etc/csync2.cfg');
  const children = new ChildProcesses();
  const lines: string[] = [];
  const log = silentLogger();
  log.warn = ((message: string) => void lines.push(message)) as typeof log.warn;
  log.info = ((message: string) => void lines.push(message)) as typeof log.info;
  const scope = selectScope(config, { host: 'a' });
  assert.deepEqual(scope.watchRoots, ['/']);
  const csync2 = {
    run: async () => ({ outcome: { kind: 'ok' as const }, stdout: 'x\ta\tb\t/etc/x\nx\ta\tc\t/etc/x\nx\ta\tc\t%x%/y\n', stderr: '', durationMs: 0 }),
  };
  const sender = new RsyncSender({ children, log, csync2, scope: () => scope, target: '{host}:{path}', maxParallel: 4, timeoutMs: 5000 });
  assert.deepEqual(await sender.deliver(['/etc/x', '/srv/x/y']), { delivered: false, dirtyPeers: ['b', 'c'] });
  assert.equal((await sender.deliver(['/etc/x'])).delivered, false);
  assert.equal(lines.filter((line) => /include of \//.test(line)).length, 2, 'once per peer, not per batch');
  assert.equal(children.count, 0);

  const readOnly = selectScope(config, { host: 'b' });
  const quiet = new RsyncSender({ children, log, csync2, scope: () => readOnly, target: '{host}:{path}', maxParallel: 4, timeoutMs: 5000 });
  assert.deepEqual(await quiet.deliver(['/etc/x']), { delivered: false, dirtyPeers: [] });
  assert.ok(lines.some((line) => /read-only/.test(line)));
  assert.equal(children.count, 0);
});

// Excerpts of `rsync --help` as each version prints them.
const HELP_2_6_9 = ' -0, --from0                 all *-from/filter files are delimited by 0s\n     --address=ADDRESS       bind address for outgoing socket to daemon\n';
const HELP_3_1_3 = ' -0, --from0                 all *-from/filter files are delimited by 0s\n -s, --protect-args          no space-splitting; only wildcard special-chars\n';
const HELP_3_2_4 = '--from0, -0              all *-from/filter files are delimited by 0s\n--old-args               disable the modern arg-protection idiom\n--protect-args, -s       no space-splitting; wildcard chars only\n';
const HELP_3_5_0 = '--from0, -0              all *-from/filter files are delimited by 0s\n--old-args               disable the modern argument-protection idiom\n--secluded-args, -s      use the protocol to safely send the arguments\n';

test("a peer path with spaces or shell characters is kept whole: -s before rsync 3.2.4, --no-old-args after, nothing rsync does not know", () => {
  assert.equal(parseArgProtection(HELP_2_6_9), 'none');
  assert.equal(parseArgProtection(HELP_3_1_3), 'secluded');
  assert.equal(parseArgProtection(HELP_3_2_4), 'modern');
  assert.equal(parseArgProtection(HELP_3_5_0), 'modern');
  assert.equal(parseArgProtection(''), 'none', 'no answer: nothing passed');
  const base = { source: '/var/www/', target: "beta:/srv/web site/$x;'*/", ioTimeoutS: 30 };
  const tail = (args: string[]) => args.slice(args.indexOf('--') - 1);
  assert.deepEqual(tail(rsyncArgs({ ...base, argProtection: 'secluded' })), ['-s', '--', '/var/www/', "beta:/srv/web site/$x;'*/"]);
  assert.deepEqual(tail(rsyncArgs({ ...base, argProtection: 'modern' })), ['--no-old-args', '--', '/var/www/', "beta:/srv/web site/$x;'*/"]);
  const none = rsyncArgs({ ...base, argProtection: 'none' });
  assert.ok(!none.some((arg) => arg === '-s' || /args/.test(arg) && arg !== '--delete-missing-args'), none.join(' '));
  assert.ok(needsArgProtection("beta:/srv/web site/"));
  for (const target of ['beta:/srv/$x/', 'beta:/srv/a;b/', "beta:/srv/it's/", 'beta:/srv/*/', 'beta:/srv/{a,b}/', 'beta:~/x/']) assert.ok(needsArgProtection(target), target);
  for (const target of ['beta:/srv/www/', 'deploy@10.0.0.4:/srv/web-1.2_x/', 'rsync://beta:873/www/static/']) assert.ok(!needsArgProtection(target), target);
});

test('an rsync that cannot protect arguments is not run for such a root (logged once); csync2 sends it', async () => {
  const config = parseCsync2Config(`
group g { host a b; key /k; include %x%; }
prefix x { on a: /srv/x; on b: "/srv/web site"; }
`, '/etc/csync2.cfg');
  const children = new ChildProcesses();
  const lines: string[] = [];
  const log = silentLogger();
  log.warn = ((message: string) => void lines.push(message)) as typeof log.warn;
  const scope = selectScope(config, { host: 'a' });
  const csync2 = { run: async () => ({ outcome: { kind: 'ok' as const }, stdout: 'x\ta\tb\t%x%/y\n', stderr: '', durationMs: 0 }) };
  const sender = new RsyncSender({ children, log, csync2, scope: () => scope, target: '{host}:{path}', maxParallel: 4, timeoutMs: 5000, argProtection: 'none' });
  assert.deepEqual(await sender.deliver(['/srv/x/y']), { delivered: false, dirtyPeers: ['b'] });
  assert.equal((await sender.deliver(['/srv/x/y'])).delivered, false);
  assert.equal(lines.filter((line) => /no rsync to b:\/srv\/web site\/: the peer's shell would split/.test(line)).length, 1, lines.join('\n'));
  assert.equal(children.count, 0);
});

test('removed directories get one extra deletion pass per level', () => {
  const present = new Set(['/w/kept', '/w/kept/a']);
  const exists = (path: string): boolean => present.has(path);
  const removed = removedDirectories(['/w/d', '/w/d/f', '/w/d/sub', '/w/d/sub/g', '/w/kept/a', '/w/kept/gone', '/w/e/x'], exists);
  assert.deepEqual(removed.dirs.sort(), ['/w/d', '/w/d/sub']);
  assert.equal(removed.depth, 2);
  assert.deepEqual(removedDirectories(['/w/a', '/w/b'], () => false), { dirs: [], depth: 0 });
});

test('csync2 -M output gives the dirty paths per peer, prefixes decoded', () => {
  const out = 'chary\t127.0.0.2\t127.0.0.4\t%data%\nchary\t127.0.0.2\t127.0.0.4\t%data%/d/x y\nchary\t127.0.0.2\t127.0.0.3\t%data%/gone\nchary\t127.0.0.2\t127.0.0.4\t%data%/line\nbreak\nchary\t127.0.0.2\t127.0.0.4\t/plain/a\tb\nchary\t127.0.0.2\t127.0.0.4\t%other%/z\n';
  const dirty = parseDirtyList(out, { data: '/srv/a' });
  assert.deepEqual([...(dirty.get('127.0.0.4') ?? [])], ['/srv/a', '/srv/a/d/x y', '/srv/a/line\nbreak', '/plain/a\tb']);
  assert.deepEqual([...(dirty.get('127.0.0.3') ?? [])], ['/srv/a/gone']);
  assert.equal(decodePrefix('%root%/etc', { root: '/' }), '/etc');
  assert.equal(decodePrefix('%nope%/x', {}), undefined);
});

test('rsync skips only a peer csync2 could not connect to', () => {
  assert.ok(peerUnreachable({ failures: 2, lastError: "ERROR: Connection to remote host `127.0.0.4' failed." }));
  assert.ok(!peerUnreachable({ failures: 1, lastError: 'ERROR: Cant stat %data%/big/d0/file-88.txt.' }));
  assert.ok(!peerUnreachable({ failures: 0, lastError: undefined }));
});

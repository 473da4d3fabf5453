import assert from 'node:assert/strict';
import { chmod, mkdir, mkdtemp, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { runCli } from '../helpers/cli.js';

// Each bad input gets one line on stderr that names the cause and the fix, and
// the documented exit code: 2 for a wrong option value, 1 for everything else.
describe('bad input', () => {
  let cluster: LocalCluster;
  let work: string;
  let baseArgs: string[];

  before(async () => {
    cluster = await LocalCluster.create({ nodes: 2 });
    work = await mkdtemp(join(tmpdir(), 'inotify-csync-bad-'));
    baseArgs = [...cluster.csync2Args(0), '--queue-file', join(work, 'q', 'queue'), '--disable-rsync', '--no-server'];
  });

  after(async () => {
    await cluster.destroy();
    await rm(work, { recursive: true, force: true });
  });

  const env = () => cluster.env;

  test('options with wrong values: exit 2 naming the option, the value and what is allowed', async () => {
    const cases: Array<[string[], string]> = [
      [['--check-interval', '-1'], 'inotify-csync: --check-interval -1: expected a number of seconds > 0 (e.g. --check-interval 0.5)'],
      [['--mode', 'fork'], 'inotify-csync: --mode fork: expected one of async, thread'],
      [['--num-batched-changes-threshold', 'lots'], 'inotify-csync: --num-batched-changes-threshold lots: expected a whole number >= 1 (e.g. --num-batched-changes-threshold 15000)'],
      [['--parallel-updates', '2'], 'inotify-csync: --parallel-updates 2: expected 1 (one csync2 -u per peer, at once) or 0 (one csync2 -u)'],
      [['--bogus'], 'inotify-csync: unknown option --bogus: see --help'],
      [['-x'], "inotify-csync: csync2 option -x selects a csync2 mode, which the daemon chooses itself: pass only options such as -N host -D dir -C name -G groups -p port -v -B"],
    ];
    for (const [args, message] of cases) {
      const result = await runCli([...baseArgs, ...args], { env: env() });
      assert.equal(result.exitCode, 2, `${args.join(' ')}: ${result.stderr}`);
      assert.equal(result.stderr.trim(), message);
    }
  });

  test('a missing config file', async () => {
    const result = await runCli([...baseArgs, '--config', join(work, 'nope.cfg')], { env: env() });
    assert.equal(result.exitCode, 1);
    assert.equal(result.stderr.trim(), `inotify-csync: csync2 configuration not found: ${join(work, 'nope.cfg')} (set --config or CSYNC2_SYSTEM_DIR)`);
  });

  test('an unreadable config (a directory)', async () => {
    const result = await runCli([...baseArgs, '--config', work], { env: env() });
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr.trim(), new RegExp(`^inotify-csync: .*${work}.*`));
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  test('-N naming a host no group lists', async () => {
    const args = ['-N', '127.0.0.9', '-D', cluster.node(0).db, '-p', String(cluster.port), '--queue-file', join(work, 'q9', 'queue'), '--disable-rsync', '--no-server'];
    const result = await runCli(args, { env: env() });
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr.trim(), /^inotify-csync: no group in .*csync2\.cfg lists host '127\.0\.0\.9'/);
  });

  test('-N resolving to loopback while a peer is elsewhere (Debian\'s 127.0.1.1 line): exit 1 naming the /etc/hosts fix, before any connection', async () => {
    // 192.0.2.10 is a documentation address: the daemon refuses before it would ever connect to it.
    const config = join(work, 'loopback-name.cfg');
    await mkdir(join(work, 'tree-lo'), { recursive: true });
    await writeFile(config, `nossl * *;\ngroup g { host localhost 192.0.2.10; key ${join(cluster.etcDir, 'csync2.key')}; include ${join(work, 'tree-lo')}; }\n`);
    const args = ['-N', 'localhost', '-D', cluster.node(0).db, '-p', String(cluster.port), '--config', config, '--queue-file', join(work, 'qlo', 'queue'), '--disable-rsync'];
    const result = await runCli(args, { env: env() });
    assert.equal(result.exitCode, 1, result.stderr);
    assert.match(result.stderr.trim(), /^inotify-csync: this host's csync2 name localhost resolves to [^ ]+ \(loopback\) while peer 192\.0\.2\.10 is at 192\.0\.2\.10: csync2 connects from that loopback address and the peers refuse it; in \/etc\/hosts map localhost to this host's network address/);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  });

  test('a config with no include, and one whose include path does not exist', async () => {
    const noInclude = join(work, 'noinclude.cfg');
    await writeFile(noInclude, 'group g { host 127.0.0.2 127.0.0.3; key /k; }\n');
    const r1 = await runCli([...baseArgs, '--config', noInclude], { env: env() });
    assert.equal(r1.exitCode, 1);
    assert.match(r1.stderr.trim(), /^inotify-csync: .*no include/i);
    const missingRoot = join(work, 'missing.cfg');
    await writeFile(missingRoot, `group g { host 127.0.0.2 127.0.0.3; key /k; include ${join(work, 'not-there')}; }\n`);
    const r2 = await runCli([...baseArgs, '--config', missingRoot], { env: env() });
    assert.equal(r2.exitCode, 1);
    assert.equal(r2.stderr.trim(), `inotify-csync: include path ${join(work, 'not-there')} (from ${missingRoot}) does not exist: create it, or fix the include in ${missingRoot}`);
  });

  test('a syntax error names file, line and column', async () => {
    const broken = join(work, 'broken.cfg');
    await writeFile(broken, 'group g {\n  host 127.0.0.2 127.0.0.3;\n  include /srv\n}\n');
    const result = await runCli([...baseArgs, '--config', broken], { env: env() });
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr.trim(), /^inotify-csync: .*broken\.cfg:4:1: expected ';' .*found '}'/);
  });

  test('a queue directory that cannot be written', async () => {
    const args = [...cluster.csync2Args(0), '--queue-file', '/proc/inotify-csync-test/queue', '--disable-rsync', '--no-server'];
    const result = await runCli(args, { env: env() });
    assert.equal(result.exitCode, 1);
    assert.match(result.stderr.trim(), /^inotify-csync: queue directory \/proc\/inotify-csync-test is not writable \(E[A-Z]+\): make it writable for this user or choose another with --queue-file$/);
  });

  test('a queue path that is a symbolic link: exit 1 naming it, the target untouched', async () => {
    const dir = join(work, 'q-link');
    await mkdir(dir, { mode: 0o700 });
    const victim = join(work, 'victim');
    await writeFile(victim, 'precious\n');
    await symlink(victim, join(dir, 'queue'));
    const args = [...cluster.csync2Args(0), '--queue-file', join(dir, 'queue'), '--disable-rsync', '--no-server'];
    const result = await runCli(args, { env: env() });
    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stderr.trim(),
      `inotify-csync: queue file ${join(dir, 'queue')} is a symbolic link, which inotify-csync does not follow (it would empty the target): remove the link, or choose another --queue-file`,
    );
    assert.equal(await readFile(victim, 'utf8'), 'precious\n');
  });

  test('a queue in a directory everyone can write: exit 1 naming the mode and the fix', async () => {
    const dir = join(work, 'q-open');
    await mkdir(dir);
    await chmod(dir, 0o777);
    const args = [...cluster.csync2Args(0), '--queue-file', join(dir, 'queue'), '--disable-rsync', '--no-server'];
    const result = await runCli(args, { env: env() });
    assert.equal(result.exitCode, 1);
    assert.equal(
      result.stderr.trim(),
      `inotify-csync: queue directory ${dir} is writable by group or others (mode 0777): chmod go-w ${dir}, or choose a directory only this user can write with --queue-file (as root the default /var/lib/inotify-csync)`,
    );
  });

  test('inotifywait or rsync not installed: the package is named', async () => {
    // A PATH holding only csync2 (and node): inotifywait and rsync live in /usr/bin, which it lacks.
    const bin = join(work, 'bin-csync2-only');
    await mkdir(bin, { recursive: true });
    await symlink('/usr/sbin/csync2', join(bin, 'csync2'));
    const pathEnv = { ...env(), PATH: bin };
    const r1 = await runCli(baseArgs, { env: pathEnv });
    assert.equal(r1.exitCode, 1);
    assert.equal(r1.stderr.trim(), 'inotify-csync: inotifywait not found on PATH: install the inotify-tools package (apt-get install -y inotify-tools, or dnf install -y inotify-tools with EPEL)');
    await symlink('/usr/bin/inotifywait', join(bin, 'inotifywait'));
    const withRsync = baseArgs.filter((arg) => arg !== '--disable-rsync');
    const r2 = await runCli(withRsync, { env: pathEnv });
    assert.equal(r2.exitCode, 1);
    assert.equal(r2.stderr.trim(), 'inotify-csync: rsync not found on PATH: install the rsync package (apt-get install -y rsync, or dnf install -y rsync with EPEL)');
  });

  test('a second daemon for the same host refuses to start and names the first PID', async () => {
    const first = DaemonProcess.start(cluster, 0);
    try {
      await first.ready();
      const second = await runCli([...cluster.csync2Args(0), '--queue-file', join(cluster.root, 'queue-0', 'queue'), '--disable-rsync', '--no-server'], { env: env() });
      assert.equal(second.exitCode, 1);
      assert.equal(
        second.stderr.trim(),
        `inotify-csync: another inotify-csync (PID ${first.pid}, uid 0) already runs for host 127.0.0.2 (lock file ${join(cluster.root, 'queue-0', 'queue')}.lock): stop it first, or give this one its own --queue-file`,
      );
    } finally {
      assert.equal(await first.stop(), 0);
    }
  });

  test('csync2\'s port already served (csync2 -ii, xinetd, csync2.socket): exit 1 naming the address, the port, the holder and the fix', async () => {
    await cluster.startServer(1);
    try {
      const args = [...cluster.csync2Args(1), '--queue-file', join(work, 'q-port', 'queue'), '--disable-rsync'];
      const result = await runCli(args, { env: env() });
      assert.equal(result.exitCode, 1);
      assert.match(
        result.stderr.trim(),
        new RegExp(`^inotify-csync: cannot listen for csync2 peers on 127\\.0\\.0\\.3 port ${cluster.port} \\(.*EADDRINUSE.*\\): PID \\d+ \\(csync2, uid 0\\) already listens there, another csync2 server \\(csync2 -ii, inetd or xinetd, systemd's csync2\\.socket\\); stop it \\(the inetd entry of Debian's csync2: update-inetd --disable csync2\\), or run with --no-server to keep it$`),
      );
    } finally {
      await cluster.stopServer(1);
    }
  });
});

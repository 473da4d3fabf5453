import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IncomingRsync, rsyncWritingInto } from '../../src/sync/incoming-rsync.js';
import { identityOf, rsyncLoginUser, rsyncTrustFor, uidOf, type RsyncTrust } from '../../src/sync/trusted-rsync.js';

// A small fake /proc (comm, cmdline, status, cwd and exe links): the real one
// cannot be made to hold an rsync with a given cwd, user and parents on demand.
// exe links point at files of the test's own, so the rsync binary is one of
// them. The integration tests incoming-rsync-trust.test.ts and
// large-batch.test.ts show the hold with real processes.
describe('an rsync writing into the tree', () => {
  let dir: string;
  let proc: string;
  let trust: RsyncTrust;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fake-proc-'));
    proc = join(dir, 'proc');
    const bin = join(dir, 'bin');
    await mkdir(bin);
    for (const program of ['rsync', 'rsync-copy', 'sh', 'sshd', 'sshd-session', 'systemd']) await writeFile(join(bin, program), `#!${program}\n`);
    trust = { binary: () => identityOf(join(bin, 'rsync')), uids: new Set([0]) };
    // pid, comm, cwd, cmdline, exe, uid, ppid
    const processes: Array<[string, string, string, string, string, number, number]> = [
      ['1', 'systemd', '/', '/sbin/init', 'systemd', 0, 0],
      ['10', 'sshd', '/', '/usr/sbin/sshd\0-D', 'sshd', 0, 1],
      ['11', 'sshd-session', '/', 'sshd-session: root@notty', 'sshd-session', 0, 10],
      ['12', 'bash', '/root', 'bash\0-c\0rsync --server -logDtpre.iLsfxCIvu . /srv/www/site', 'sh', 0, 11],
      ['200', 'rsync', '/srv/www/site', 'rsync\0--server\0-logDtpre.iLsfxCIvu\0.\0/srv/www/site', 'rsync', 0, 12],
      ['300', 'rsync', '/srv/www-old', 'rsync\0--server\0.\0/srv/www-old', 'rsync', 0, 12],
      ['400', 'bash', '/var/www', 'bash', 'sh', 0, 1],
      ['500', 'rsync', '/srv/shop', 'rsync\0-a\0/home/admin/shop/\0/srv/shop/', 'rsync', 0, 12],
      // An rsync daemon (as root) and its child for one connection: forked, so with the daemon's command line.
      ['601', 'rsync', '/', 'rsync\0--daemon\0--config=/etc/rsyncd.conf', 'rsync', 0, 1],
      ['600', 'rsync', '/srv/blog', 'rsync\0--daemon\0--config=/etc/rsyncd.conf', 'rsync', 0, 601],
      // Any local user (nobody): a script named rsync, a copy of rsync, the real rsync.
      ['700', 'rsync', '/srv/evil-script', '/bin/sh\0/tmp/x/rsync\0--server\0.\0/srv/evil-script', 'sh', 65534, 1],
      ['701', 'rsync', '/srv/evil-copy', '/tmp/x/rsync\0--server\0.\0/srv/evil-copy', 'rsync-copy', 65534, 1],
      ['702', 'rsync', '/srv/evil-real', 'rsync\0--server\0.\0/srv/evil-real', 'rsync', 65534, 1],
      ['703', 'rsync', '/srv/evil-daemon', 'rsync\0--daemon\0--config=/tmp/x/rsyncd.conf', 'rsync', 65534, 1],
      // A nobody-owned "sshd" is no sshd, and a user's process is no rsync daemon's child.
      ['710', 'sshd', '/', 'sshd', 'sshd', 65534, 1],
      ['711', 'rsync', '/srv/evil-chain', 'rsync\0--server\0.\0/srv/evil-chain', 'rsync', 65534, 710],
      // Root's copy of rsync is not the rsync this daemon runs; root's receiver not started by sshd is a local copy.
      ['720', 'rsync', '/srv/root-copy', 'rsync\0--server\0.\0/srv/root-copy', 'rsync-copy', 0, 12],
      ['730', 'rsync', '/srv/orphan', 'rsync\0--server\0.\0/srv/orphan', 'rsync', 0, 1],
      // A peer logging in as user 1001 (--rsync-target deploy@{host}:{path}): its sshd-session runs as that user, under root's.
      ['800', 'sshd-session', '/', 'sshd-session: deploy@notty', 'sshd-session', 1001, 11],
      ['801', 'rsync', '/srv/deploy', 'rsync\0--server\0.\0/srv/deploy', 'rsync', 1001, 800],
    ];
    for (const [pid, comm, cwd, cmdline, exe, uid, ppid] of processes) {
      await mkdir(join(proc, pid), { recursive: true });
      await writeFile(join(proc, pid, 'comm'), `${comm}\n`);
      await writeFile(join(proc, pid, 'cmdline'), `${cmdline}\0`);
      await writeFile(join(proc, pid, 'status'), `Name:\t${comm}\nPPid:\t${ppid}\nUid:\t${uid}\t${uid}\t${uid}\t${uid}\n`);
      await symlink(cwd, join(proc, pid, 'cwd'));
      await symlink(join(bin, exe), join(proc, pid, 'exe'));
    }
    await writeFile(join(proc, 'uptime'), '1 1\n');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  test("root's rsync whose cwd is inside a watched root counts: a peer's (--server under sshd, an rsync daemon's child) or an admin's local one", () => {
    assert.equal(rsyncWritingInto(['/srv/www'], trust, proc), 'peer');
    assert.equal(rsyncWritingInto(['/srv/www/site'], trust, proc), 'peer');
    assert.equal(rsyncWritingInto(['/srv/blog'], trust, proc), 'peer', "an rsync daemon's child");
    assert.equal(rsyncWritingInto(['/srv/shop'], trust, proc), 'local');
    assert.equal(rsyncWritingInto(['/srv/shop', '/srv/www'], trust, proc), 'peer', "a peer's delivery wins over a local copy");
  });

  test('a sibling directory with the same prefix does not, nor another program in the root', () => {
    assert.equal(rsyncWritingInto(['/srv/ww'], trust, proc), undefined);
    assert.equal(rsyncWritingInto(['/var/www'], trust, proc), undefined);
    assert.equal(rsyncWritingInto([], trust, proc), undefined);
  });

  test("another user's process named rsync never counts: a script, a copy of rsync, the real rsync, under a fake sshd", () => {
    for (const root of ['/srv/evil-script', '/srv/evil-copy', '/srv/evil-real', '/srv/evil-daemon', '/srv/evil-chain']) {
      assert.equal(rsyncWritingInto([root], trust, proc), undefined, root);
    }
  });

  test("root's copy of rsync does not count; root's rsync --server not started by sshd or an rsync daemon is a local copy", () => {
    assert.equal(rsyncWritingInto(['/srv/root-copy'], trust, proc), undefined);
    assert.equal(rsyncWritingInto(['/srv/orphan'], trust, proc), 'local');
  });

  test("the user --rsync-target logs in as counts, under root's sshd", () => {
    assert.equal(rsyncWritingInto(['/srv/deploy'], trust, proc), undefined, 'not trusted by default');
    assert.equal(rsyncWritingInto(['/srv/deploy'], { ...trust, uids: new Set([0, 1001]) }, proc), 'peer');
  });

  test('without an rsync binary on PATH nothing counts', () => {
    assert.equal(rsyncWritingInto(['/srv/www'], { binary: () => undefined, uids: new Set([0]) }, proc), undefined);
  });

  test('a missing /proc means no delivery is known, not an error', () => {
    assert.equal(rsyncWritingInto(['/srv/www'], trust, join(proc, 'nope')), undefined);
  });

  test("the trusted users: root, the daemon's own, and the login user of an ssh --rsync-target", async () => {
    assert.equal(rsyncLoginUser('deploy@{host}:{path}'), 'deploy');
    assert.equal(rsyncLoginUser('{host}:{path}'), undefined);
    assert.equal(rsyncLoginUser('rsync://sync@{host}/{module}/'), undefined, "an rsync daemon's user is no system user");
    assert.equal(rsyncLoginUser('sync@{host}::{module}/'), undefined);
    const passwd = join(dir, 'passwd');
    await writeFile(passwd, 'root:x:0:0:root:/root:/bin/bash\ndeploy:x:1001:1001::/home/deploy:/bin/sh\n');
    assert.equal(uidOf('deploy', passwd), 1001);
    assert.equal(uidOf('ghost', passwd), undefined);
    assert.equal(uidOf('1002', passwd), 1002);
    const warnings: string[] = [];
    assert.deepEqual([...rsyncTrustFor('{host}:{path}', undefined, (line) => warnings.push(line), 1000).uids], [0, 1000]);
    assert.deepEqual([...rsyncTrustFor('ghost@{host}:{path}', undefined, (line) => warnings.push(line), 0).uids], [0]);
    assert.match(warnings.join('\n'), /user ghost of --rsync-target ghost@\{host\}:\{path\} is not in \/etc\/passwd/);
  });
});

describe('when an rsync writes into the tree', () => {
  const trust: RsyncTrust = { binary: () => undefined, uids: new Set([0]) };

  test('the tree counts as receiving until settleMs after the rsync was last seen', () => {
    let running = true;
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], trust, settleMs: 3000, probe: () => (running ? 'peer' : undefined) });
    assert.equal(incoming.receiving(10_000), true);
    running = false;
    assert.equal(incoming.receiving(12_999), true, 'still inside the settle time');
    assert.equal(incoming.receiving(13_000), false, 'settled');
  });

  test("after the rsync ended, it waits for the sender's csync2 update: one more server session", () => {
    let running = true;
    let served = 7;
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], trust, settleMs: 3000, maxHoldMs: 10_000, sessionsServed: () => served, probe: () => (running ? 'peer' : undefined) });
    assert.equal(incoming.receiving(10_000), true);
    assert.equal(incoming.awaitingUpdate(10_000), false, 'not while the rsync still runs');
    running = false;
    assert.equal(incoming.receiving(15_000), true, 'settled, but no session since the rsync ended');
    assert.equal(incoming.awaitingUpdate(15_000), true);
    served++;
    assert.equal(incoming.receiving(15_100), false, "the sender's update came");
    assert.equal(incoming.receiving(11_000), true, 'the settle time still holds on its own');
  });

  test('the wait for the update ends max_wait_time after the rsync, and without a server of its own it is not waited for', () => {
    let running = true;
    const held = new IncomingRsync({ roots: () => ['/srv/www'], trust, settleMs: 3000, maxHoldMs: 10_000, sessionsServed: () => 0, probe: () => (running ? 'peer' : undefined) });
    const noServer = new IncomingRsync({ roots: () => ['/srv/www'], trust, settleMs: 3000, sessionsServed: () => undefined, probe: () => (running ? 'peer' : undefined) });
    held.receiving(1000);
    noServer.receiving(1000);
    running = false;
    assert.equal(held.receiving(10_999), true);
    assert.equal(held.receiving(11_000), false, 'no update within max_wait_time: the checks go ahead');
    assert.equal(noServer.receiving(3999), true);
    assert.equal(noServer.receiving(4000), false, '--no-server: sessions cannot be seen, the settle time alone');
  });

  test("an admin's local rsync holds the checks while it runs and for settleMs, with no update waited for", () => {
    let running = true;
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], trust, settleMs: 3000, maxHoldMs: 10_000, sessionsServed: () => 0, probe: () => (running ? 'local' : undefined) });
    assert.equal(incoming.receiving(1000), true);
    running = false;
    assert.equal(incoming.receiving(3999), true);
    assert.equal(incoming.awaitingUpdate(4000), false);
    assert.equal(incoming.receiving(4000), false);
  });

  test('no rsync ever seen: never receiving', () => {
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], trust, probe: () => undefined });
    assert.equal(incoming.receiving(), false);
  });

  test('a temporary-file event looks for the rsync at once, at most every 250 ms', () => {
    let probes = 0;
    let running = true;
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], trust, settleMs: 3000, probe: () => (probes++, running ? 'peer' : undefined) });
    incoming.notice(1000);
    incoming.notice(1100);
    assert.equal(probes, 1, 'the second event within 250 ms does not look again');
    running = false;
    incoming.notice(1250);
    assert.equal(probes, 2);
    // The batch starts later, after the rsync ended: it still waits out the settle time.
    assert.equal(incoming.receiving(3500), true);
    assert.equal(incoming.receiving(4000), false);
  });
});

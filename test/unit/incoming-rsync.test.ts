import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { IncomingRsync, rsyncWritingInto } from '../../src/sync/incoming-rsync.js';

// A small fake /proc (comm files and cwd links): the real one cannot be made to
// hold an rsync with a given cwd on demand. The integration test
// large-batch.test.ts shows the hold with real rsync daemons.
describe('an rsync writing into the tree', () => {
  let proc: string;

  before(async () => {
    proc = await mkdtemp(join(tmpdir(), 'fake-proc-'));
    const processes: Array<[string, string, string, string]> = [
      ['1', 'systemd\n', '/', '/sbin/init\0'],
      ['200', 'rsync\n', '/srv/www/site', 'rsync\0--server\0-logDtpre.iLsfxCIvu\0.\0/srv/www/site\0'],
      ['300', 'rsync\n', '/srv/www-old', 'rsync\0--server\0.\0/srv/www-old\0'],
      ['400', 'bash\n', '/var/www', 'bash\0'],
      ['500', 'rsync\n', '/srv/shop', 'rsync\0-a\0/home/admin/shop/\0/srv/shop/\0'],
      ['600', 'rsync\n', '/srv/blog', 'rsync\0--daemon\0--config=/etc/rsyncd.conf\0'],
    ];
    for (const [pid, comm, cwd, cmdline] of processes) {
      await mkdir(join(proc, pid));
      await writeFile(join(proc, pid, 'comm'), comm);
      await writeFile(join(proc, pid, 'cmdline'), cmdline);
      await symlink(cwd, join(proc, pid, 'cwd'));
    }
    await writeFile(join(proc, 'uptime'), '1 1\n');
  });

  after(async () => {
    await rm(proc, { recursive: true, force: true });
  });

  test("an rsync whose cwd is inside a watched root counts: a peer's (--server, --daemon) or an admin's local one", () => {
    assert.equal(rsyncWritingInto(['/srv/www'], proc), 'peer');
    assert.equal(rsyncWritingInto(['/srv/www/site'], proc), 'peer');
    assert.equal(rsyncWritingInto(['/srv/blog'], proc), 'peer', "an rsync daemon's child");
    assert.equal(rsyncWritingInto(['/srv/shop'], proc), 'local');
    assert.equal(rsyncWritingInto(['/srv/shop', '/srv/www'], proc), 'peer', "a peer's delivery wins over a local copy");
  });

  test('a sibling directory with the same prefix does not, nor another program in the root', () => {
    assert.equal(rsyncWritingInto(['/srv/ww'], proc), undefined);
    assert.equal(rsyncWritingInto(['/var/www'], proc), undefined);
    assert.equal(rsyncWritingInto([], proc), undefined);
  });

  test('a missing /proc means no delivery is known, not an error', () => {
    assert.equal(rsyncWritingInto(['/srv/www'], join(proc, 'nope')), undefined);
  });

  test('the tree counts as receiving until settleMs after the rsync was last seen', () => {
    let running = true;
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], settleMs: 3000, probe: () => (running ? 'peer' : undefined) });
    assert.equal(incoming.receiving(10_000), true);
    running = false;
    assert.equal(incoming.receiving(12_999), true, 'still inside the settle time');
    assert.equal(incoming.receiving(13_000), false, 'settled');
  });

  test("after the rsync ended, it waits for the sender's csync2 update: one more server session", () => {
    let running = true;
    let served = 7;
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], settleMs: 3000, maxHoldMs: 10_000, sessionsServed: () => served, probe: () => (running ? 'peer' : undefined) });
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
    const held = new IncomingRsync({ roots: () => ['/srv/www'], settleMs: 3000, maxHoldMs: 10_000, sessionsServed: () => 0, probe: () => (running ? 'peer' : undefined) });
    const noServer = new IncomingRsync({ roots: () => ['/srv/www'], settleMs: 3000, sessionsServed: () => undefined, probe: () => (running ? 'peer' : undefined) });
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
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], settleMs: 3000, maxHoldMs: 10_000, sessionsServed: () => 0, probe: () => (running ? 'local' : undefined) });
    assert.equal(incoming.receiving(1000), true);
    running = false;
    assert.equal(incoming.receiving(3999), true);
    assert.equal(incoming.awaitingUpdate(4000), false);
    assert.equal(incoming.receiving(4000), false);
  });

  test('no rsync ever seen: never receiving', () => {
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], probe: () => undefined });
    assert.equal(incoming.receiving(), false);
  });

  test('a temporary-file event looks for the rsync at once, at most every 250 ms', () => {
    let probes = 0;
    let running = true;
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], settleMs: 3000, probe: () => (probes++, running ? 'peer' : undefined) });
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

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
    const processes: Array<[string, string, string]> = [
      ['1', 'systemd\n', '/'],
      ['200', 'rsync\n', '/srv/www/site'],
      ['300', 'rsync\n', '/srv/www-old'],
      ['400', 'bash\n', '/var/www'],
    ];
    for (const [pid, comm, cwd] of processes) {
      await mkdir(join(proc, pid));
      await writeFile(join(proc, pid, 'comm'), comm);
      await symlink(cwd, join(proc, pid, 'cwd'));
    }
    await writeFile(join(proc, 'uptime'), '1 1\n');
  });

  after(async () => {
    await rm(proc, { recursive: true, force: true });
  });

  test('an rsync whose cwd is inside a watched root counts', () => {
    assert.equal(rsyncWritingInto(['/srv/www'], proc), true);
    assert.equal(rsyncWritingInto(['/srv/www/site'], proc), true);
  });

  test('a sibling directory with the same prefix does not, nor another program in the root', () => {
    assert.equal(rsyncWritingInto(['/srv/ww'], proc), false);
    assert.equal(rsyncWritingInto(['/var/www'], proc), false);
    assert.equal(rsyncWritingInto([], proc), false);
  });

  test('a missing /proc means no delivery is known, not an error', () => {
    assert.equal(rsyncWritingInto(['/srv/www'], join(proc, 'nope')), false);
  });

  test('the tree counts as receiving until settleMs after the rsync was last seen', () => {
    let running = true;
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], settleMs: 3000, probe: () => running });
    assert.equal(incoming.receiving(10_000), true);
    running = false;
    assert.equal(incoming.receiving(12_999), true, 'still inside the settle time');
    assert.equal(incoming.receiving(13_000), false, 'settled');
  });

  test("after the rsync ended, it waits for the sender's csync2 update: one more server session", () => {
    let running = true;
    let served = 7;
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], settleMs: 3000, maxHoldMs: 10_000, sessionsServed: () => served, probe: () => running });
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
    const held = new IncomingRsync({ roots: () => ['/srv/www'], settleMs: 3000, maxHoldMs: 10_000, sessionsServed: () => 0, probe: () => running });
    const noServer = new IncomingRsync({ roots: () => ['/srv/www'], settleMs: 3000, sessionsServed: () => undefined, probe: () => running });
    held.receiving(1000);
    noServer.receiving(1000);
    running = false;
    assert.equal(held.receiving(10_999), true);
    assert.equal(held.receiving(11_000), false, 'no update within max_wait_time: the checks go ahead');
    assert.equal(noServer.receiving(3999), true);
    assert.equal(noServer.receiving(4000), false, '--no-server: sessions cannot be seen, the settle time alone');
  });

  test('no rsync ever seen: never receiving', () => {
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], probe: () => false });
    assert.equal(incoming.receiving(), false);
  });

  test('a temporary-file event looks for the rsync at once, at most every 250 ms', () => {
    let probes = 0;
    let running = true;
    const incoming = new IncomingRsync({ roots: () => ['/srv/www'], settleMs: 3000, probe: () => (probes++, running) });
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

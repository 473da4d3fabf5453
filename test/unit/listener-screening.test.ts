import assert from 'node:assert/strict';
import { createServer, connect, type Socket } from 'node:net';
import { describe, test } from 'node:test';
import { ConnectionAdmission, type PendingConnection } from '../../src/sync/connection-admission.js';
import { FirstBytesWatch } from '../../src/sync/first-bytes.js';
import { listenAddresses, loopbackNameProblem } from '../../src/sync/listen-address.js';
import { PerAddressWarnings } from '../../src/sync/listener-stats.js';
import { PeerAddresses, plainAddress } from '../../src/sync/peer-addresses.js';
import { procEndpoint, readTcpTable } from '../../src/sync/socket-receive-queue.js';
import { SessionLimits } from '../../src/sync/session-limits.js';

function pending(address: string, since: number, heard = false): PendingConnection & { closed: boolean } {
  const connection = { address, since, heard, closed: false, close: () => { connection.closed = true; } };
  return connection;
}

describe('ConnectionAdmission', () => {
  test('at the per-address cap the oldest silent connection of that address makes room', () => {
    const admission = new ConnectionAdmission({ perAddress: 2, total: 10 });
    const first = pending('10.0.0.2', 1);
    const second = pending('10.0.0.2', 2);
    assert.ok(admission.enter(first));
    assert.ok(admission.enter(second));
    const third = pending('10.0.0.2', 3);
    assert.ok(admission.enter(third));
    assert.equal(first.closed, true);
    assert.equal(second.closed, false);
    assert.equal(admission.size, 2);
  });

  test('when every connection of the address has spoken, the new one is refused', () => {
    const admission = new ConnectionAdmission({ perAddress: 1, total: 10 });
    const talking = pending('10.0.0.2', 1, true);
    assert.ok(admission.enter(talking));
    assert.equal(admission.enter(pending('10.0.0.2', 2)), false);
    assert.equal(talking.closed, false);
    assert.ok(admission.enter(pending('10.0.0.3', 3)), 'another address is not held back');
  });

  test('the node-wide cap evicts the oldest silent connection of any address', () => {
    const admission = new ConnectionAdmission({ perAddress: 5, total: 2 });
    const a = pending('10.0.0.2', 1);
    const b = pending('10.0.0.3', 2, true);
    admission.enter(a);
    admission.enter(b);
    assert.ok(admission.enter(pending('10.0.0.4', 3)));
    assert.equal(a.closed, true);
    admission.leave(b);
    assert.equal(admission.size, 1);
  });
});

describe('PeerAddresses', () => {
  test('an address the peers resolve to is a peer; a stranger is looked up again at most once per refresh', async () => {
    let now = 0;
    let lookups = 0;
    let table: Record<string, string[]> = { web1: ['10.0.0.2', '::ffff:10.0.0.12'], web2: ['10.0.0.3'] };
    const peers = new PeerAddresses({ now: () => now, refreshMs: 10_000, resolve: async (name) => { lookups++; return (table[name] ?? []).map(plainAddress); } });
    await peers.setNames(['WEB1', 'web2', '192.0.2.9']);
    assert.equal(await peers.peerAt('10.0.0.2'), 'web1');
    assert.equal(await peers.peerAt('::ffff:10.0.0.3'), 'web2', 'a dual-stack socket reports IPv4 peers mapped');
    assert.equal(await peers.peerAt('10.0.0.12'), 'web1');
    assert.equal(await peers.peerAt('192.0.2.9'), '192.0.2.9', 'a peer named by its address needs no lookup');
    const before = lookups;
    assert.equal(await peers.peerAt('10.0.0.99'), undefined);
    assert.equal(lookups, before, 'no new lookup within the refresh time');
    table = { web1: ['10.0.0.99'], web2: ['10.0.0.3'] };
    now = 10_001;
    assert.equal(await peers.peerAt('10.0.0.99'), 'web1', 'a changed DNS answer is found after the refresh time');
    assert.equal(await peers.peerAt('10.0.0.2'), undefined, 'the old address is no longer a peer');
  });

  test('a name that does not resolve lets nobody in', async () => {
    const peers = new PeerAddresses({ resolve: async () => { throw new Error('ENOTFOUND'); } });
    await peers.setNames(['gone']);
    assert.equal(await peers.peerAt('10.0.0.2'), undefined);
  });
});

describe('listen addresses', () => {
  test('a host named by a name listens on every address; one named by an address (or host@address) listens there', () => {
    assert.deepEqual(listenAddresses('web1'), ['::', '0.0.0.0']);
    assert.deepEqual(listenAddresses('127.0.0.2'), ['127.0.0.2']);
    assert.deepEqual(listenAddresses('web1', '10.0.0.2'), ['10.0.0.2']);
  });

  test('a name on loopback with a peer elsewhere is refused with the /etc/hosts fix; all on loopback is fine', () => {
    const problem = loopbackNameProblem('web1', ['127.0.1.1'], [{ name: 'web2', addresses: ['10.0.0.3'] }]);
    assert.match(problem ?? '', /^this host's csync2 name web1 resolves to 127\.0\.1\.1 \(loopback\) while peer web2 is at 10\.0\.0\.3: .*\/etc\/hosts map web1 to this host's network address/);
    assert.equal(loopbackNameProblem('127.0.0.2', ['127.0.0.2'], [{ name: '127.0.0.3', addresses: ['127.0.0.3'] }]), undefined);
    assert.equal(loopbackNameProblem('web1', ['10.0.0.2'], [{ name: 'web2', addresses: ['10.0.0.3'] }]), undefined);
    assert.equal(loopbackNameProblem('web1', ['::1'], [{ name: 'web2', addresses: [] }]), undefined, 'a peer that does not resolve proves nothing');
  });
});

describe('/proc/net/tcp spelling', () => {
  test('IPv4 and IPv6 endpoints in host byte order', () => {
    assert.deepEqual(procEndpoint('127.0.0.1', 30865, true), { file: 'tcp', text: '0100007F:7891' });
    assert.deepEqual(procEndpoint('127.0.0.1', 30865, false), { file: 'tcp', text: '7F000001:7891' });
    assert.deepEqual(procEndpoint('::1', 22, true), { file: 'tcp6', text: '00000000000000000000000001000000:0016' });
    assert.deepEqual(procEndpoint('::ffff:127.0.0.2', 1, true), { file: 'tcp6', text: '0000000000000000FFFF00000200007F:0001' });
  });

  test('a connection that has sent nothing is silent at the deadline, one that wrote is heard, one that closed is closed', async () => {
    const accepted: Socket[] = [];
    const server = createServer({ pauseOnConnect: true }, (socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
    const port = (server.address() as { port: number }).port;
    const open = async (): Promise<{ client: Socket; socket: Socket }> => {
      const count = accepted.length;
      const client = connect({ host: '127.0.0.1', port });
      await new Promise((resolve) => client.once('connect', resolve));
      while (accepted.length === count) await new Promise((resolve) => setTimeout(resolve, 5));
      return { client, socket: accepted[count] as Socket };
    };
    try {
      let reads = 0;
      const watch = new FirstBytesWatch((file) => {
        reads++;
        return readTcpTable(file);
      });
      const quiet = await open();
      const talking = await open();
      const leaving = await open();
      const results = Promise.all([watch.wait(quiet.socket, 300), watch.wait(talking.socket, 2000), watch.wait(leaving.socket, 2000)]);
      talking.client.write('CONFIG \n');
      leaving.client.end();
      assert.deepEqual(await results, ['silent', 'heard', 'heard'], 'a FIN is a byte in the queue too: csync2 then reads the end itself');
      assert.ok(reads < 20, `one read of /proc/net/tcp serves every waiting connection: ${reads} reads`);
      for (const { client } of [quiet, talking, leaving]) client.destroy();
    } finally {
      for (const socket of accepted) socket.destroy();
      server.close();
    }
  });
});

describe('SessionLimits (stand-in /proc counters)', () => {
  test('a session whose csync2 never answered is ended at the first-reply deadline', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
    const reasons: string[] = [];
    const limits = new SessionLimits(123, { firstReplyMs: 2000, everyMs: 100 }, (why) => reasons.push(why), {
      counters: () => ({ read: 14_000, written: 1 }),
      progress: () => 4,
    });
    for (let i = 0; i < 19; i++) t.mock.timers.tick(100);
    assert.deepEqual(reasons, []);
    for (let i = 0; i < 2; i++) t.mock.timers.tick(100);
    assert.equal(reasons.length, 1);
    assert.match(reasons[0] ?? '', /no whole csync2 request within 2 s/);
    assert.equal(limits.ended, true);
  });

  test('an answered session that trickles is ended after the idle time; one at work only at the hard limit', async (t) => {
    t.mock.timers.enable({ apis: ['setInterval', 'Date'] });
    const reasons: string[] = [];
    let read = 20_000;
    new SessionLimits(1, { idleMs: 5000, everyMs: 100 }, (why) => reasons.push(`trickle: ${why}`), {
      counters: () => ({ read, written: 40 }),
      // one byte more per look: below a step of progress
      progress: () => 40 + Math.floor(read++ / 4096),
    });
    let written = 40;
    new SessionLimits(2, { idleMs: 5000, maxMs: 20_000, everyMs: 100 }, (why) => reasons.push(`busy: ${why}`), {
      counters: () => ({ read: 20_000, written }),
      progress: () => written++,
    });
    for (let i = 0; i < 52; i++) t.mock.timers.tick(100);
    assert.deepEqual(reasons, ['trickle: no progress for 5 s']);
    for (let i = 0; i < 150; i++) t.mock.timers.tick(100);
    assert.deepEqual(reasons, ['trickle: no progress for 5 s', 'busy: ran 20 s, the most a session may']);
  });
});

describe('PerAddressWarnings', () => {
  test('one line per address and minute, then how many were kept quiet', () => {
    let now = 0;
    const warnings = new PerAddressWarnings(60_000, () => now);
    assert.equal(warnings.line('a', 'refused a'), 'refused a');
    assert.equal(warnings.line('a', 'refused a'), undefined);
    assert.equal(warnings.line('b', 'refused b'), 'refused b');
    now = 60_000;
    assert.equal(warnings.line('a', 'refused a'), 'refused a (1 more like it since the last such line)');
  });
});

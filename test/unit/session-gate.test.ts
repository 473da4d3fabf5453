import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SessionGate, type GateTicket, type GateUse } from '../../src/sync/session-gate.js';

// The gate's ordering rules, under an injected clock and fake per-process I/O
// counters: no real processes, no timing. Each case records which holders run
// at once.

function harness(stallMs = 2000) {
  let now = 0;
  const io = new Map<number, number>();
  const gate = new SessionGate({ ioCount: (pid) => io.get(pid), stallMs, pollMs: 5, now: () => now });
  const running = new Set<string>();
  const started: string[] = [];
  const tickets = new Map<string, GateTicket>();
  function request(name: string, use: GateUse): Promise<void> {
    return gate.acquire(use).then((ticket) => {
      running.add(name);
      started.push(name);
      tickets.set(name, ticket);
    });
  }
  function end(name: string): void {
    running.delete(name);
    tickets.get(name)?.end();
  }
  return {
    gate,
    running,
    started,
    request,
    end,
    ticket: (name: string) => tickets.get(name) as GateTicket,
    advance: (ms: number) => {
      now += ms;
    },
    setIo: (pid: number, bytes: number) => io.set(pid, bytes),
  };
}

/** Lets every pending promise callback run. */
const settle = () => new Promise((resolve) => setImmediate(resolve));

test('a check never runs beside a session or an update', async () => {
  const h = harness();
  void h.request('update B', 'update');
  await settle();
  void h.request('session A', 'session');
  await settle();
  assert.deepEqual([...h.running].sort(), ['session A', 'update B'], 'a session starts beside a running update');
  void h.request('check', 'check');
  await settle();
  assert.ok(!h.running.has('check'), 'the check waits for both');
  h.end('update B');
  await settle();
  assert.ok(!h.running.has('check'), 'still waits for the session');
  h.end('session A');
  await settle();
  assert.deepEqual([...h.running], ['check']);
});

test('an update waits for a running session (both write the database; csync2 sleeps a second when locked)', async () => {
  const h = harness();
  void h.request('session', 'session');
  await settle();
  void h.request('update', 'update');
  await settle();
  assert.deepEqual([...h.running], ['session']);
  h.end('session');
  await settle();
  assert.deepEqual([...h.running], ['update']);
});

test('sessions run one at a time, in the order they came', async () => {
  const h = harness();
  void h.request('s1', 'session');
  void h.request('s2', 'session');
  void h.request('s3', 'session');
  await settle();
  assert.deepEqual([...h.running], ['s1']);
  h.end('s1');
  await settle();
  assert.deepEqual([...h.running], ['s2']);
  h.end('s2');
  await settle();
  assert.deepEqual(h.started, ['s1', 's2', 's3']);
});

test('a waiting check goes before sessions and updates that came after it', async () => {
  const h = harness();
  void h.request('s1', 'session');
  await settle();
  void h.request('check', 'check');
  void h.request('s2', 'session');
  void h.request('u1', 'update');
  await settle();
  h.end('s1');
  await settle();
  assert.deepEqual([...h.running], ['check'], 'the check runs first');
  h.end('check');
  await settle();
  assert.deepEqual(h.started, ['s1', 'check', 's2'], 'then the session; the update waits for the session to end');
  h.end('s2');
  await settle();
  assert.deepEqual(h.started.at(-1), 'u1');
});

test('while a check waits for running updates, sessions still start (no wait cycle between nodes)', async () => {
  const h = harness();
  void h.request('update to B', 'update');
  await settle();
  void h.request('check', 'check');
  await settle();
  // The update waits on B's session, B's update may wait on a session here: it must get in.
  void h.request('session from B', 'session');
  await settle();
  assert.ok(h.running.has('session from B'), 'a session starts during the first phase of a waiting check');
  void h.request('update to C', 'update');
  await settle();
  assert.ok(!h.running.has('update to C'), 'a new update waits behind the check');
  h.end('update to B');
  await settle();
  assert.ok(!h.running.has('check'), 'the check waits for the session that started');
  void h.request('session from C', 'session');
  h.end('session from B');
  await settle();
  assert.ok(h.running.has('check'), 'once updates are done, sessions that come later wait for the check');
  assert.ok(!h.running.has('session from C'));
});

test('a session that does no I/O for a while (a frozen sender) does not hold a check back', async () => {
  const h = harness(2000);
  void h.request('frozen session', 'session');
  await settle();
  h.ticket('frozen session').setPid(101);
  h.setIo(101, 500);
  void h.request('check', 'check');
  await settle();
  h.advance(1000);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(!h.running.has('check'), 'within stallMs the session is waited for');
  h.advance(1500);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(h.running.has('check'), 'past stallMs without I/O it no longer holds the check');
  h.end('check');
  h.end('frozen session');
});

test('an update is waited for until it ends, however long it does no I/O (it would drop what the check marks)', async () => {
  const u = harness(2000);
  void u.request('stalled update', 'update');
  await settle();
  u.ticket('stalled update').setPid(202);
  u.setIo(202, 1);
  void u.request('check', 'check');
  u.advance(60_000);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(!u.running.has('check'), 'a minute without I/O: still waited for');
  u.end('stalled update');
  await settle();
  assert.ok(u.running.has('check'), 'the check runs once the update ended');
});

test('sessionsServed counts ended sessions (the INCOMING hold reads it)', async () => {
  const h = harness();
  void h.request('s1', 'session');
  await settle();
  assert.equal(h.gate.sessionsServed, 0);
  h.end('s1');
  assert.equal(h.gate.sessionsServed, 1);
});

test('a session whose csync2 has not answered its peer is waited for 2 s at most, an answered one until it stalls', async () => {
  let now = 0;
  const io = new Map<number, number>();
  const answered = new Set<number>();
  const waiting = new Set<number>([301]);
  const gate = new SessionGate({ ioCount: (pid) => io.get(pid), answered: (pid) => answered.has(pid), waitsOnPeer: (pid) => waiting.has(pid), stallMs: 5000, unansweredStallMs: 2000, pollMs: 5, now: () => now });
  const silent = await gate.acquire('session');
  silent.setPid(301);
  io.set(301, 10);
  let checked = false;
  const check = gate.acquire('check').then((ticket) => {
    checked = true;
    return ticket;
  });
  await settle();
  now = 1900;
  io.set(301, 11);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(checked, false, 'within 2 s the unanswered session is waited for');
  now = 2100;
  io.set(301, 12);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(checked, true, 'past 2 s without an answer it no longer holds the check, though its counters move');
  (await check).end();
  silent.end();

  // Not answered yet, but busy (csync2 opening a locked database), not reading its peer: waited for.
  now = 10_000;
  const busy = await gate.acquire('session');
  busy.setPid(303);
  io.set(303, 1);
  let checkedBesideBusy = false;
  const third = gate.acquire('check').then((ticket) => {
    checkedBesideBusy = true;
    return ticket;
  });
  now = 13_000;
  io.set(303, 2);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(checkedBesideBusy, false, 'an unanswered session that is not waiting for its peer is waited for past 2 s');
  waiting.add(303);
  now = 13_100;
  io.set(303, 3);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(checkedBesideBusy, true, 'once it waits for its peer without having answered, it is not');
  (await third).end();
  busy.end();

  const talking = await gate.acquire('session');
  talking.setPid(302);
  answered.add(302);
  io.set(302, 50);
  let checkedAgain = false;
  void gate.acquire('check').then((ticket) => {
    checkedAgain = true;
    ticket.end();
  });
  now = 6000;
  io.set(302, 60);
  await new Promise((resolve) => setTimeout(resolve, 20));
  assert.equal(checkedAgain, false, 'an answered session with progress is waited for past 2 s');
  talking.end();
  await settle();
  assert.equal(checkedAgain, true);
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { silentLogger, createLogger } from '../../../src/log/logger.js';
import { NotifySender } from '../../../src/systemd/notify.js';
import { attachSystemdNotifier } from '../../../src/systemd/systemd-notifier.js';
import { watchdogIntervalMs } from '../../../src/systemd/watchdog.js';
import { FakeDaemon, sampleStatus } from './fake-daemon.js';
import { NotifyRecorder } from './notify-recorder.js';
import { Writable } from 'node:stream';

describe('watchdogIntervalMs', () => {
  test('half of WATCHDOG_USEC, in ms', () => {
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '60000000' }, 42), 30_000);
  });
  test('only for the PID systemd names', () => {
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '42' }, 42), 30_000);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '60000000', WATCHDOG_PID: '43' }, 42), undefined);
  });
  test('off when unset or nonsense', () => {
    assert.equal(watchdogIntervalMs({}, 42), undefined);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: 'x' }, 42), undefined);
    assert.equal(watchdogIntervalMs({ WATCHDOG_USEC: '0' }, 42), undefined);
  });
});

describe('sd_notify through systemd-notify, on a fake NOTIFY_SOCKET', () => {
  let dir: string;
  let recorder: NotifyRecorder | string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inotify-csync-notify-'));
    recorder = await NotifyRecorder.start(dir);
  });
  after(async () => {
    if (typeof recorder !== 'string') await recorder.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('nothing happens without NOTIFY_SOCKET', async () => {
    const daemon = new FakeDaemon();
    const env: NodeJS.ProcessEnv = { WATCHDOG_USEC: '1000' };
    const observer = attachSystemdNotifier(daemon, { log: silentLogger(), env });
    daemon.become('running');
    await observer.close();
    assert.equal(env.WATCHDOG_USEC, '1000');
  });

  test('STATUS while starting, READY=1 when running, WATCHDOG=1 pings, STOPPING=1 on drain, in order', async (t) => {
    if (typeof recorder === 'string') return t.skip(recorder);
    const rec = recorder;
    rec.messages.length = 0;
    const daemon = new FakeDaemon();
    const env: NodeJS.ProcessEnv = { NOTIFY_SOCKET: rec.socket, WATCHDOG_USEC: '100000' };
    const observer = attachSystemdNotifier(daemon, { log: silentLogger(), env, statusGapMs: 50, refreshMs: 60_000 });
    assert.equal(env.NOTIFY_SOCKET, undefined, 'children must not inherit NOTIFY_SOCKET');
    assert.equal(env.WATCHDOG_USEC, undefined);

    daemon.emit('progress', 'setting up watches');
    await rec.waitFor((m) => m.some((x) => x.includes('STATUS=setting up watches')), 'the progress STATUS=');
    daemon.emit('progress', 'still setting up watches (5 s so far)');
    await rec.waitFor((m) => m.some((x) => x.includes('(5 s so far)')), 'the next progress STATUS=');
    daemon.status = sampleStatus({ peers: [] });
    daemon.become('running');
    await rec.waitFor((m) => m.some((x) => x.split('\n').includes('READY=1')), 'READY=1');
    await rec.waitFor((m) => m.filter((x) => x === `MAINPID=${process.pid}\nWATCHDOG=1`).length >= 2, 'two watchdog pings');
    daemon.emit('synced', { kind: 'batch', paths: 3, ms: 400, ok: true });
    await rec.waitFor((m) => m.some((x) => /STATUS=running: .*synced 3 paths/.test(x)), 'the STATUS= after a batch');
    daemon.become('draining');
    await rec.waitFor((m) => m.some((x) => x.split('\n').includes('STOPPING=1')), 'STOPPING=1');
    daemon.become('stopped');
    await observer.close();

    const kinds = rec.messages.map((message) => {
      const lines = message.split('\n');
      return lines.includes('READY=1') ? 'READY' : lines.includes('STOPPING=1') ? 'STOPPING' : lines.includes('WATCHDOG=1') ? 'WATCHDOG' : 'STATUS';
    });
    const ready = kinds.indexOf('READY');
    const stopping = kinds.indexOf('STOPPING');
    assert.equal(kinds.filter((k) => k === 'READY').length, 1, 'READY=1 once');
    assert.ok(kinds.indexOf('STATUS') < ready, `a STATUS= comes before READY=1: ${kinds.join(' ')}`);
    assert.ok(kinds.indexOf('WATCHDOG') > -1);
    assert.ok(ready < stopping, `READY=1 before STOPPING=1: ${kinds.join(' ')}`);
    assert.ok(!kinds.slice(stopping + 1).includes('STATUS') && !kinds.slice(stopping + 1).includes('READY'), `STOPPING=1 is the last state message: ${kinds.join(' ')}`);
    const readyMessage = rec.messages[ready] ?? '';
    assert.match(readyMessage, /^MAINPID=\d+\nREADY=1\nSTATUS=running: watching 1 root/);
    // close() delivered everything queued before it. A timer left running would ping every 50 ms:
    // after five such periods a marker is sent, and no ping may come before it arrives.
    const pings = rec.messages.filter((m) => m.endsWith('WATCHDOG=1')).length;
    await new Promise((resolve) => setTimeout(resolve, 250));
    await new NotifySender({ socket: rec.socket, log: silentLogger() }).send(['STATUS=marker after stop']);
    await rec.waitFor((m) => m.some((x) => x.includes('STATUS=marker after stop')), 'the marker');
    assert.equal(rec.messages.filter((m) => m.endsWith('WATCHDOG=1')).length, pings, 'no pings once stopped');
  });

  test('STATUS= updates are rate-limited and only sent when they change', async (t) => {
    if (typeof recorder === 'string') return t.skip(recorder);
    const rec = recorder;
    rec.messages.length = 0;
    const daemon = new FakeDaemon();
    const observer = attachSystemdNotifier(daemon, { log: silentLogger(), env: { NOTIFY_SOCKET: rec.socket }, statusGapMs: 300, refreshMs: 60_000 });
    const started = Date.now();
    for (let i = 0; i < 20; i++) daemon.emit('progress', `step ${i}`);
    await rec.waitFor((m) => m.some((x) => x.endsWith('STATUS=step 19')), 'the latest progress');
    const statuses = rec.messages.filter((m) => m.includes('STATUS='));
    assert.ok(statuses.length <= 2, `at most one STATUS= per gap, got ${statuses.length}`);
    assert.ok(Date.now() - started < 2000);
    // An unchanged STATUS= is not sent again: once its gap (300 ms) has passed, a changed one
    // follows, and nothing may arrive before it.
    daemon.emit('progress', 'step 19');
    await new Promise((resolve) => setTimeout(resolve, 350));
    daemon.emit('progress', 'step 20');
    await rec.waitFor((m) => m.some((x) => x.endsWith('STATUS=step 20')), 'the changed STATUS=');
    assert.deepEqual(
      rec.messages.filter((m) => m.includes('STATUS=')).slice(statuses.length),
      [rec.messages.find((m) => m.endsWith('STATUS=step 20'))],
      'an unchanged STATUS= is not sent again',
    );
    await observer.close();
  });

  test('NotifySender keeps the order of many quick messages', async (t) => {
    if (typeof recorder === 'string') return t.skip(recorder);
    const rec = recorder;
    rec.messages.length = 0;
    const sender = new NotifySender({ socket: rec.socket, log: silentLogger() });
    for (let i = 0; i < 10; i++) void sender.send([`X_SEQ=${i}`]);
    await sender.flush();
    await rec.waitFor((m) => m.length >= 10, 'ten messages');
    assert.deepEqual(rec.assignments.filter((a) => a.startsWith('X_SEQ=')), Array.from({ length: 10 }, (_, i) => `X_SEQ=${i}`));
  });
});

/** A NotifySender whose log lines are kept as text. */
function loggedSender(command: string): { sender: NotifySender; output: () => string } {
  let output = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      output += String(chunk);
      done();
    },
  });
  const sender = new NotifySender({ socket: '/nonexistent.sock', log: createLogger({ debug: false, format: 'text', stream }), command });
  return { sender, output: () => output };
}

test('a missing systemd-notify is reported once, never thrown', async () => {
  const { sender, output } = loggedSender('no-such-systemd-notify');
  await sender.send(['READY=1']);
  await sender.send(['STATUS=x']);
  await sender.flush();
  assert.equal(output().match(/is not installed/g)?.length, 1, output());
});

test('a systemd-notify that cannot be started says why, once per cause', async (t) => {
  // A file that exists but may not be executed: spawn fails with EACCES (root may run any file with an x bit, so none here).
  const dir = mkdtempSync(join(tmpdir(), 'inotify-csync-notify-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const notExecutable = join(dir, 'systemd-notify');
  writeFileSync(notExecutable, '#!/bin/sh\nexit 0\n', { mode: 0o644 });
  const { sender, output } = loggedSender(notExecutable);
  await sender.send(['STATUS=a']);
  await sender.send(['STATUS=b']);
  await sender.flush();
  assert.equal(output().match(/could not be started: .*EACCES/g)?.length, 1, output());
  assert.doesNotMatch(output(), /exit code undefined/);
});

import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { holds, waitFor } from '../helpers/wait.js';
import { NotifyRecorder } from '../unit/systemd/notify-recorder.js';

const has = (message: string, assignment: string): boolean => message.split('\n').includes(assignment);

// The built daemon under a fake systemd: NOTIFY_SOCKET is a datagram socket the
// test binds; what systemd would receive must arrive in order.
describe('systemd notifications from the real daemon', () => {
  let dir: string;
  let cluster: LocalCluster;
  let recorder: NotifyRecorder | string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inotify-csync-sdnotify-'));
    recorder = await NotifyRecorder.start(dir);
    cluster = await LocalCluster.create({ nodes: 2 });
  });

  after(async () => {
    if (typeof recorder !== 'string') await recorder.stop();
    await cluster.destroy();
    await rm(dir, { recursive: true, force: true });
  });

  test('STATUS= while starting, READY=1, STATUS= after a sync, WATCHDOG=1, STOPPING=1', async (t) => {
    if (typeof recorder === 'string') return t.skip(recorder);
    const rec = recorder;
    await cluster.startServer(1);
    // WATCHDOG_USEC=400 ms: a ping every 200 ms.
    const daemon = DaemonProcess.start(cluster, 0, { env: { NOTIFY_SOCKET: rec.socket, WATCHDOG_USEC: '400000' } });
    try {
      await daemon.ready();
      await rec.waitFor((m) => m.some((x) => has(x, 'READY=1')), 'READY=1');
      const pid = daemon.pid;
      const ready = rec.messages.find((x) => has(x, 'READY=1')) ?? '';
      assert.ok(has(ready, `MAINPID=${pid}`), `sent for the daemon's PID: ${JSON.stringify(ready)}`);
      assert.match(ready, /STATUS=running: watching 1 root/);

      await writeFile(join(cluster.node(0).dir, 'notify.txt'), 'hello\n');
      await waitFor(() => holds(join(cluster.node(1).dir, 'notify.txt'), 'hello\n'), 'notify.txt on the peer', 5000);
      await rec.waitFor((m) => m.some((x) => /STATUS=running: .*synced 1 path to 1 peer in/.test(x)), 'the STATUS= after the batch');
      const readyAt = rec.messages.findIndex((x) => has(x, 'READY=1'));
      await rec.waitFor((m) => m.slice(readyAt).filter((x) => has(x, 'WATCHDOG=1')).length >= 2, 'two watchdog pings after READY=1');

      assert.equal(await daemon.stop(), 0, daemon.log);
      // The daemon waits for STOPPING=1 to be handed over before it exits.
      const messages = [...rec.messages];
      const stopping = messages.findIndex((x) => has(x, 'STOPPING=1'));
      assert.ok(stopping > readyAt, `STOPPING=1 after READY=1:\n${messages.join('\n---\n')}`);
      assert.match(messages[stopping] ?? '', /STATUS=draining/);
      // STATUS= is sent at most once a second: a quick start-up shows only its first step.
      const starting = messages.slice(0, readyAt).filter((x) => x.includes('STATUS='));
      assert.ok(starting.some((x) => /STATUS=(starting|setting up watches|running the start-up full sync)$/m.test(x)), `start-up steps before READY=1:\n${starting.join('\n')}`);
      assert.equal(messages.filter((x) => has(x, 'READY=1')).length, 1);
      assert.ok(!messages.slice(stopping + 1).some((x) => has(x, 'READY=1') || x.includes('STATUS=running')), 'nothing says running after STOPPING=1');
      assert.ok(!/systemd-notify .* failed/.test(daemon.log), daemon.log);
    } finally {
      await daemon.stop();
    }
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { WatchSupervisor } from '../../src/watch/watch-supervisor.js';
import { silentLogger } from '../../src/log/logger.js';
import { ChildProcesses } from '../../src/process/child-processes.js';
import { InotifyWatcher } from '../../src/watch/inotify-watcher.js';
import { withFakeBinary } from '../helpers/fake-bin.js';
import { alive } from '../helpers/processes.js';
import { recordingLogger } from '../helpers/recording-logger.js';
import { waitFor } from '../helpers/wait.js';

const dir = mkdtempSync(join(tmpdir(), 'inotify-csync-watcher-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('stop() ends an inotifywait that ignores SIGTERM with SIGKILL within the grace', async () => {
  // A fake that ignores SIGTERM: the real inotifywait always obeys it (even when stopped with SIGSTOP).
  await withFakeBinary('inotifywait-ignores-term', 'inotifywait', async () => {
    const children = new ChildProcesses();
    const watcher = new InotifyWatcher({ root: dir, children, log: silentLogger(), onEvent: () => {}, onExit: () => {} });
    await watcher.start();
    const pid = watcher.pid as number;
    const started = Date.now();
    await watcher.stop(300);
    assert.ok(Date.now() - started < 2000, `stop() took ${Date.now() - started} ms`);
    assert.equal(alive(pid), false);
    assert.equal(children.count, 0);
  });
});

test('an inotifywait that dies right after each start is restarted with a growing delay, not every half second', async () => {
  // The fake (test/fixtures/bin/inotifywait-dies-at-once) establishes its watches and exits at once.
  await withFakeBinary('inotifywait-dies-at-once', 'inotifywait', async () => {
    const { log, warnings } = recordingLogger();
    const supervisor = new WatchSupervisor({
      roots: [dir],
      children: new ChildProcesses(),
      log,
      onEvent: () => {},
      onRestarted: () => {},
      onRepaired: () => {},
    });
    try {
      await supervisor.start();
      const delays = () => warnings().map((line) => /restarting in ([\d.]+) s/.exec(line)?.[1]).filter((delay) => delay !== undefined);
      await waitFor(() => delays().length >= 3, 'three restarts', 10_000);
      assert.deepEqual(delays().slice(0, 3), ['0.5', '1.0', '2.0']);
    } finally {
      await supervisor.stop();
    }
  });
});

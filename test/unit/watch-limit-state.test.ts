import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { raiseLimitAdvice, readWatchLimit, unwatchableDirectoryOf } from '../../src/watch/watch-limit.js';
import { WatchLimitState, type WatchLimitAction } from '../../src/watch/watch-limit-state.js';

// The watch-limit state on a fake clock (ms). Defaults: a new failure is checked 2 s later, the root every
// 30 s, the watches retried every 30 s (at once when the limit rises), the limit read every 5 s, a reminder every 5 min.

const kinds = (actions: WatchLimitAction[]): string[] =>
  actions.map((action) => (action.kind === 'check' ? `check ${action.path}` : `${action.kind} ${action.root}`));

test('a refused watch starts a lasting state: checks of the root every 30 s, retries, until no directory is left unwatched', () => {
  const state = new WatchLimitState();
  assert.equal(state.nextAt(), undefined, 'nothing to do before');
  assert.equal(state.unwatchable('/srv', '/srv/new-0', 1000, 20), true, 'the root enters the state');
  assert.equal(state.unwatchable('/srv', '/srv/new-1', 1010, 20), false, 'once per root');
  assert.equal(state.nextAt(), 3000);
  assert.deepEqual(kinds(state.due(2999)), []);
  assert.deepEqual(kinds(state.due(3000)), ['check /srv', 'retry /srv']);
  assert.equal(state.retried('/srv', 3100, 20, 20), undefined, 'still 20 unwatched: the state lasts');
  assert.deepEqual(state.snapshot(), [{ root: '/srv', since: 1000, unwatchedDirectories: 20, lastCheckAt: 3000, checkEveryMs: 30_000 }]);
  // Hours later, still checked every 30 s: never one line and forgotten.
  let now = 3000;
  let checks = 0;
  while (now < 3000 + 3_600_000) {
    now = state.nextAt() as number;
    state.limitRead(20, now);
    for (const action of state.due(now)) {
      if (action.kind === 'check') checks++;
      if (action.kind === 'retry') state.retried('/srv', now, 20, 20);
    }
  }
  assert.equal(checks, 120, 'one check of the root every 30 s for an hour');
  assert.deepEqual(state.snapshot().map((entry) => entry.root), ['/srv']);
});

test('a raised limit makes the retry due at the next read of it, and the state ends when every directory is watched', () => {
  const state = new WatchLimitState();
  state.unwatchable('/srv', '/srv/new-0', 0, 20);
  state.due(2000);
  state.retried('/srv', 2100, 20, 20);
  assert.equal(state.nextAt(), 5000, 'the limit is read every 5 s');
  state.limitRead(20, 5000);
  assert.deepEqual(kinds(state.due(5000)), [], 'the same limit: no retry before its time');
  state.limitRead(100_000, 10_000);
  assert.deepEqual(kinds(state.due(10_000)), ['retry /srv'], 'raised: tried at once, not 30 s later');
  assert.deepEqual(kinds(state.due(10_001)), [], 'one retry at a time');
  const ended = state.retried('/srv', 10_500, 0, 100_000);
  assert.equal(ended?.since, 0);
  assert.deepEqual(state.snapshot(), []);
  assert.equal(state.nextAt(), undefined);
});

test('a retry that cannot count (the root watcher is restarting) keeps the state and its last count', () => {
  const state = new WatchLimitState();
  state.unwatchable('/srv', '/srv', 0, 20);
  state.due(2000);
  state.retried('/srv', 2000, 7, 20);
  state.due(32_000);
  assert.equal(state.retried('/srv', 32_000, undefined), undefined);
  assert.equal(state.snapshot()[0]?.unwatchedDirectories, 7);
});

test('a directory refused later is checked 2 s after, the root on its own schedule', () => {
  const state = new WatchLimitState();
  state.unwatchable('/srv', '/srv/a', 0, 20);
  state.due(2000);
  state.retried('/srv', 2000, 1, 20);
  state.limitRead(20, 10_000);
  state.unwatchable('/srv', '/srv/b', 10_000, 20);
  assert.equal(state.nextAt(), 12_000, 'the new directory, 2 s later');
  assert.deepEqual(kinds(state.due(12_000)), ['check /srv/b']);
  // One due within 2 s anyway: the root's check covers it.
  state.unwatchable('/srv', '/srv/c', 31_000, 20);
  assert.deepEqual(kinds(state.due(32_000)), ['check /srv', 'retry /srv']);
  assert.deepEqual(kinds(state.due(33_000)), []);
});

test('a reminder every 5 minutes while it lasts', () => {
  const state = new WatchLimitState();
  state.unwatchable('/srv', '/srv/a', 0, 20);
  const reminders: number[] = [];
  for (let now = 0; now <= 900_000; now += 1000) {
    for (const action of state.due(now)) {
      if (action.kind === 'remind') reminders.push(now);
      if (action.kind === 'retry') state.retried('/srv', now, 3, 20);
    }
  }
  assert.deepEqual(reminders, [300_000, 600_000, 900_000]);
});

test("inotifywait's words for a refused watch, while running and while setting up", () => {
  assert.equal(unwatchableDirectoryOf("Couldn't watch new directory /srv/a/new-9/: No space left on device"), '/srv/a/new-9');
  assert.equal(unwatchableDirectoryOf('Failed to watch /srv/a/b; upper limit on inotify watches reached!'), '/srv/a/b');
  assert.equal(unwatchableDirectoryOf("Couldn't watch new directory /srv/a/gone/: No such file or directory"), undefined);
  assert.equal(unwatchableDirectoryOf('Watches established.'), undefined);
});

test('the limit in force is the lower of the machine-wide one and the user namespace one', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'watch-limit-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const machine = join(dir, 'max_user_watches');
  const namespace = join(dir, 'max_inotify_watches');
  writeFileSync(machine, '524288\n');
  writeFileSync(namespace, '524288\n');
  assert.deepEqual(readWatchLimit({ machine, namespace }), { value: 524_288, name: 'fs.inotify.max_user_watches' });
  writeFileSync(namespace, '20\n');
  assert.deepEqual(readWatchLimit({ machine, namespace }), { value: 20, name: 'user.max_inotify_watches' });
  assert.deepEqual(readWatchLimit({ machine, namespace: join(dir, 'missing') }), { value: 524_288, name: 'fs.inotify.max_user_watches' });
  assert.equal(raiseLimitAdvice({ value: 8192, name: 'fs.inotify.max_user_watches' }), "raise fs.inotify.max_user_watches (now 8192): 'sysctl -w fs.inotify.max_user_watches=524288'");
});

import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readlinkSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { execa } from 'execa';
import { WatchSupervisor, type WatchSupervisorOptions } from '../../src/watch/watch-supervisor.js';
import { ChildProcesses } from '../../src/process/child-processes.js';
import { watchedInodes } from '../../src/watch/watch-audit.js';
import { readWatchLimit } from '../../src/watch/watch-limit.js';
import { withFakeBinary } from '../helpers/fake-bin.js';
import { alive, commandOf } from '../helpers/processes.js';
import { recordingLogger } from '../helpers/recording-logger.js';
import { waitFor } from '../helpers/wait.js';

// WatchSupervisor driven directly, with the real inotifywait on temporary
// directories and a real ChildProcesses. Fake inotifywait scripts
// (test/fixtures/bin) stand in only where the real binary cannot show the case
// on demand: a watcher that dies when told with a given code, and one that
// misses a new directory (a race of inotifywait -r 3.22 that no test provokes reliably).

/** A temporary directory, removed when the test ends. */
function tempDir(t: TestContext, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `watch-supervisor-${name}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** A supervisor on `roots` that records what it reports; stopped when the test ends. */
function supervise(t: TestContext, roots: string[], options: Partial<WatchSupervisorOptions> = {}) {
  const children = new ChildProcesses();
  const { log, lines, warnings } = recordingLogger();
  const events: string[] = [];
  const restarted: string[] = [];
  const repaired: string[] = [];
  const supervisor = new WatchSupervisor({
    roots,
    children,
    log,
    onEvent: (event) => events.push(`${event.events.join(',')} ${event.path}`),
    onRestarted: (root) => restarted.push(root),
    onRepaired: (dir) => repaired.push(dir),
    ...options,
  });
  // Registered before the temp dirs' removal would run, so the watchers end first (after hooks run in reverse).
  t.after(async () => {
    await supervisor.stop();
    await children.stopAll(500);
  });
  const reported = (event: string, path: string): boolean => events.some((line) => line === `${event} ${path}`);
  return { supervisor, children, lines, warnings, events, restarted, repaired, reported };
}

/** The inotifywait pids, checked to be inotifywait (setpriv execs into it under the same pid). */
function inotifywaitPids(supervisor: WatchSupervisor): number[] {
  const pids = supervisor.pids();
  for (const pid of pids) assert.equal(commandOf(pid), 'inotifywait', `pid ${pid} runs ${commandOf(pid) ?? 'nothing'}`);
  return pids;
}

test('a file written under a root is reported, one inotifywait per root', async (t) => {
  const first = tempDir(t, 'first');
  const second = tempDir(t, 'second');
  mkdirSync(join(second, 'sub'));
  const { supervisor, reported } = supervise(t, [first, second]);
  await supervisor.start();
  assert.equal(new Set(inotifywaitPids(supervisor)).size, 2);

  writeFileSync(join(first, 'hello.txt'), 'hello\n');
  writeFileSync(join(second, 'sub', 'deep.txt'), 'deep\n');
  await waitFor(() => reported('CLOSE_WRITE,CLOSE', join(first, 'hello.txt')), 'the write under the first root', 3000);
  await waitFor(() => reported('CLOSE_WRITE,CLOSE', join(second, 'sub', 'deep.txt')), 'the write in a subdirectory of the second root', 3000);
});

test('a killed watcher is restarted, onRestarted names its root, and its events are reported again', async (t) => {
  const killed = tempDir(t, 'killed');
  const untouched = tempDir(t, 'untouched');
  const { supervisor, warnings, restarted, reported } = supervise(t, [killed, untouched]);
  await supervisor.start();
  const [oldPid, otherPid] = inotifywaitPids(supervisor);
  assert.ok(oldPid !== undefined && otherPid !== undefined);

  process.kill(oldPid, 'SIGKILL');
  await waitFor(() => restarted.length > 0, 'onRestarted after the kill', 5000);
  assert.deepEqual(restarted, [killed], 'only the killed root needs a full sync');
  assert.ok(
    warnings().some((line) => line === `INOTIFY: inotifywait on ${killed} killed by SIGKILL; restarting in 0.5 s, then a full sync`),
    warnings().join('\n'),
  );
  const pids = inotifywaitPids(supervisor);
  assert.equal(pids.length, 2);
  assert.ok(pids.includes(otherPid), 'the other root kept its watcher');
  assert.ok(!pids.includes(oldPid));

  writeFileSync(join(killed, 'after-restart.txt'), 'x');
  await waitFor(() => reported('CLOSE_WRITE,CLOSE', join(killed, 'after-restart.txt')), 'a write after the restart', 3000);
});

test('a watcher that dies right after each start is restarted ever later, and after steadyMs of running at the shortest delay again', async (t) => {
  // Fake (test/fixtures/bin/inotifywait-exits-after): it exits with code 3 once the seconds in `lifetime` have passed (at once while empty).
  const root = tempDir(t, 'backoff');
  const lifetime = join(tempDir(t, 'backoff-control'), 'lifetime');
  writeFileSync(lifetime, '');
  process.env.FAKE_INOTIFYWAIT_LIFETIME_FILE = lifetime;
  process.env.FAKE_INOTIFYWAIT_EXIT_CODE = '3';
  t.after(() => {
    delete process.env.FAKE_INOTIFYWAIT_LIFETIME_FILE;
    delete process.env.FAKE_INOTIFYWAIT_EXIT_CODE;
  });
  await withFakeBinary('inotifywait-exits-after', 'inotifywait', async () => {
    const { supervisor, warnings, restarted } = supervise(t, [root], { steadyMs: 400 });
    const delays = (): string[] => warnings().flatMap((line) => /restarting in ([\d.]+) s/.exec(line)?.[1] ?? []);
    await supervisor.start();

    await waitFor(() => delays().length >= 2, 'two restarts of a watcher that dies at once', 5000);
    // The next start comes 1 s after the second death: from then on the watcher runs for twice steadyMs.
    writeFileSync(lifetime, '0.8');
    await waitFor(() => delays().length >= 3, 'the death of the watcher that ran steadily', 5000);

    assert.deepEqual(delays().slice(0, 3), ['0.5', '1.0', '0.5'], `delays ${delays().join(', ')} s in:\n${warnings().join('\n')}`);
    assert.ok(
      warnings().some((line) => line.startsWith(`INOTIFY: inotifywait on ${root} exited with code 3: fake inotifywait gives up on purpose; restarting in`)),
      `the exit code and inotifywait's last words are logged:\n${warnings().join('\n')}`,
    );
    await waitFor(() => restarted.length >= 2, 'onRestarted for the restarts', 3000);
    assert.ok(restarted.every((name) => name === root));
  });
});

test(
  'a watcher that died again before the audit after its restart gets no supplementary watcher on its own root',
  async (t) => {
    // Fake (test/fixtures/bin/inotifywait-exits-after): every watcher exits at once. The audit 700 ms after the
    // first restart finds the main watcher dead; the second restart follows 1 s after that restart.
    const root = tempDir(t, 'audit-while-down');
    await withFakeBinary('inotifywait-exits-after', 'inotifywait', async () => {
      const { supervisor, restarted, repaired } = supervise(t, [root]);
      await supervisor.start();
      await waitFor(() => restarted.length >= 2, 'the second restart', 5000);
      assert.deepEqual(repaired, [], 'nothing was missed: the next restart watches the whole root again');
    });
  },
);

test('a root removed and created again is watched again, and onRestarted fires', async (t) => {
  const parent = tempDir(t, 'comes-back');
  const root = join(parent, 'root');
  mkdirSync(root);
  const { supervisor, warnings, restarted, reported, lines } = supervise(t, [root]);
  await supervisor.start();
  const [oldPid] = inotifywaitPids(supervisor);

  rmSync(root, { recursive: true });
  await waitFor(() => warnings().some((line) => line.startsWith(`INOTIFY: watched root ${root} is gone`)), 'the warning that the root is gone', 3000);
  await waitFor(() => oldPid !== undefined && !alive(oldPid), 'the blind watcher to end', 3000);
  assert.deepEqual(supervisor.pids(), [], 'nothing watches while the root is gone');
  assert.deepEqual(restarted, []);

  mkdirSync(root);
  // The supervisor polls for the root every 2 s.
  await waitFor(() => restarted.length > 0, 'onRestarted after the root came back', 8000);
  assert.deepEqual(restarted, [root]);
  assert.ok(lines.includes(`info INOTIFY: watched root ${root} is back; watching it again`), lines.join('\n'));
  assert.equal(inotifywaitPids(supervisor).length, 1);

  writeFileSync(join(root, 'back.txt'), 'x');
  await waitFor(() => reported('CLOSE_WRITE,CLOSE', join(root, 'back.txt')), 'a write into the returned root', 3000);
});

test('a tree made at once (mkdir -p a/b/c, a file inside) is reported by its top directory, and later writes deep in it are reported', async (t) => {
  const root = tempDir(t, 'tree');
  const { supervisor, reported } = supervise(t, [root], { auditDelayMs: 50 });
  await supervisor.start();

  const deep = join(root, 'a', 'b', 'c');
  mkdirSync(deep, { recursive: true });
  writeFileSync(join(deep, 'first.txt'), 'first\n');
  // inotifywait -r watches a/b/c only after the file was written, so the file itself is usually not
  // reported: the CREATE of `a` is what the daemon checks recursively (csync2 -cr), the file with it.
  await waitFor(() => reported('CREATE,ISDIR', join(root, 'a')), 'the new top directory', 3000);
  // By inotifywait -r itself or, if it lost the race, by a supplementary watcher after the audit.
  await waitFor(() => supervisor.pids().some((pid) => watchedInodes(pid)?.has(statSync(deep).ino)), 'a watch on a/b/c', 3000);

  writeFileSync(join(deep, 'later.txt'), 'later\n');
  await waitFor(() => reported('CLOSE_WRITE,CLOSE', join(deep, 'later.txt')), 'a later write in a/b/c', 3000);
});

test('a new directory the watcher missed gets a supplementary watcher, onRepaired names it, and its files are reported', async (t) => {
  // Fake (test/fixtures/bin/inotifywait-not-recursive): the real inotifywait, without --recursive for this root only.
  const root = tempDir(t, 'missed');
  process.env.FAKE_INOTIFYWAIT_SHALLOW_ROOT = root;
  t.after(() => {
    delete process.env.FAKE_INOTIFYWAIT_SHALLOW_ROOT;
  });
  await withFakeBinary('inotifywait-not-recursive', 'inotifywait', async () => {
    const { supervisor, children, repaired, reported, warnings } = supervise(t, [root], { auditDelayMs: 50 });
    await supervisor.start();

    const deep = join(root, 'a', 'b', 'c');
    mkdirSync(deep, { recursive: true });
    await waitFor(() => repaired.length > 0, 'onRepaired for the missed directory', 3000);
    assert.deepEqual(repaired, [join(root, 'a')], 'the top-most missed directory, to be checked with -cr');
    assert.equal(supervisor.repairs, 1);
    assert.ok(warnings().some((line) => line.startsWith(`INOTIFY: inotifywait missed the new directory ${join(root, 'a')}`)), warnings().join('\n'));

    writeFileSync(join(deep, 'file.txt'), 'x');
    await waitFor(() => reported('CLOSE_WRITE,CLOSE', join(deep, 'file.txt')), 'a write in the repaired subtree', 3000);

    const pids = inotifywaitPids(supervisor);
    assert.equal(pids.length, 2, 'the main watcher and the supplementary one');
    await supervisor.stop();
    await waitFor(() => pids.every((pid) => !alive(pid)), 'both watchers to end', 3000);
    assert.equal(children.count, 0);
  });
});

/** A process in a user namespace of its own, whose inotify watch limit a test may lower; ended when the test ends. */
async function userNamespaceHolder(t: TestContext): Promise<{ pid: number; setLimit: (value: number) => Promise<void> } | string> {
  if (process.getuid?.() !== 0) return 'needs root';
  const holder = execa('unshare', ['--user', '--map-root-user', '--', 'sleep', 'infinity'], { reject: false, stdin: 'ignore', cleanup: true });
  t.after(async () => {
    holder.kill('SIGKILL');
    await holder;
  });
  const pid = holder.pid as number;
  const own = readlinkSync('/proc/self/ns/user');
  try {
    await waitFor(() => readlinkSync(`/proc/${pid}/ns/user`) !== own, 'the holder to enter its user namespace', 3000);
  } catch {
    return 'cannot create a user namespace here';
  }
  const file = '/proc/sys/user/max_inotify_watches';
  const setLimit = async (value: number): Promise<void> => {
    await execa('nsenter', ['--user', `--target=${pid}`, '--', 'tee', file], { input: `${value}\n`, stdout: 'ignore' });
  };
  return { pid, setLimit };
}

test('the watch limit reached while running: a lasting state with checks on a schedule, ended once the limit rises', async (t) => {
  // Fake (test/fixtures/bin/inotifywait-in-userns): the real inotifywait, entered into a user namespace whose
  // user.max_inotify_watches the test lowers; the machine-wide fs.inotify.max_user_watches is never touched.
  const holder = await userNamespaceHolder(t);
  if (typeof holder === 'string') {
    t.skip(holder);
    return;
  }
  await holder.setLimit(1000);
  const root = tempDir(t, 'limit');
  process.env.INOTIFYWAIT_USERNS_PID = String(holder.pid);
  const real = (process.env.PATH ?? '').split(':').map((dir) => join(dir, 'inotifywait')).find((path) => existsSync(path));
  assert.ok(real, 'inotifywait on PATH');
  process.env.INOTIFYWAIT_REAL = real;
  t.after(() => {
    delete process.env.INOTIFYWAIT_USERNS_PID;
    delete process.env.INOTIFYWAIT_REAL;
  });
  await withFakeBinary('inotifywait-in-userns', 'inotifywait', async () => {
    const checked: string[] = [];
    let limit = 1000;
    const { supervisor, warnings, lines, reported } = supervise(t, [root], {
      auditDelayMs: 50,
      checkPath: (path) => checked.push(path),
      watchLimit: { checkEveryMs: 300, firstCheckMs: 100, retryEveryMs: 60_000, pollLimitMs: 100 },
      // What the kernel applies in the holder's namespace (the test's own /proc shows its own namespace).
      readLimit: () => ({ value: limit, name: 'user.max_inotify_watches' }),
    });
    await supervisor.start();
    assert.deepEqual(supervisor.watchLimitReached(), []);

    // The root holds the one watch; none can be added.
    limit = 1;
    await holder.setLimit(1);
    mkdirSync(join(root, 'a'));
    mkdirSync(join(root, 'b'));
    await waitFor(() => supervisor.watchLimitReached()[0]?.unwatchedDirectories === 2, 'the state with both directories counted', 5000);
    const entry = supervisor.watchLimitReached()[0];
    assert.equal(entry?.root, root);
    assert.deepEqual(entry?.limit, { value: 1, name: 'user.max_inotify_watches' });
    const limitWarnings = warnings().filter((line) => line.startsWith('WATCH LIMIT:'));
    assert.equal(limitWarnings.length, 1, limitWarnings.join('\n'));
    assert.match(limitWarnings[0] ?? '', /could not watch the new directory .*\/[ab] \(the inotify watch limit is reached\); changes under .* are checked with csync2 -cr every 0\.3 s until the watches can be added: raise user\.max_inotify_watches \(now 1\)/);
    assert.ok(!warnings().some((line) => line.includes("Couldn't watch new directory")), 'inotifywait\'s own line is not repeated at WARN');
    // Checked again and again while it lasts, not once.
    await waitFor(() => checked.filter((path) => path === root).length >= 4, 'four scheduled checks of the root', 5000);
    writeFileSync(join(root, 'a', 'unseen.txt'), 'x');

    // Raised: tried again at the next read of the limit (retries are otherwise a minute apart here).
    await holder.setLimit(1000);
    limit = 1000;
    await waitFor(() => supervisor.watchLimitReached().length === 0, 'the state to end once the limit rose', 5000);
    assert.ok(lines.some((line) => line.startsWith(`info WATCH LIMIT: every directory under ${root} is watched again (user.max_inotify_watches is 1000`)), lines.join('\n'));
    assert.equal(checked.at(-1), root, 'a last check of the root covers what changed before the watches were added');
    assert.ok(!reported('CLOSE_WRITE,CLOSE', join(root, 'a', 'unseen.txt')), 'a write before the watch was added is not reported (the checks cover it)');
    writeFileSync(join(root, 'b', 'seen.txt'), 'x');
    await waitFor(() => reported('CLOSE_WRITE,CLOSE', join(root, 'b', 'seen.txt')), 'a write in a directory watched again', 3000);
  });
});

test('stop() leaves no inotifywait running and reports no restart', async (t) => {
  const roots = [tempDir(t, 'stop-1'), tempDir(t, 'stop-2')];
  const { supervisor, children, restarted } = supervise(t, roots);
  await supervisor.start();
  const pids = inotifywaitPids(supervisor);
  assert.equal(pids.length, 2);
  assert.deepEqual([...children.pids()].sort(), [...pids].sort(), 'ChildProcesses tracks exactly the watchers');

  await supervisor.stop();
  assert.deepEqual(children.pids(), [], 'every child was waited for');
  assert.equal(children.count, 0);
  assert.deepEqual(supervisor.pids(), []);
  for (const pid of pids) assert.equal(alive(pid), false, `pid ${pid} is gone from /proc`);
  assert.deepEqual(restarted, []);
});

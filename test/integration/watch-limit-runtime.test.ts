import assert from 'node:assert/strict';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { execa } from 'execa';
import { CLI_ENTRY, DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import type { DaemonStatus } from '../../src/daemon/status-snapshot.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { explainTimeouts, holds, logTails, waitFor } from '../helpers/wait.js';

// The inotify watch limit reached after start-up, with the real inotifywait and a real two-node
// csync2 cluster. The daemon runs in a user namespace of its own (`unshare --user --map-root-user`,
// still uid 0, same network and files): since Linux 5.11 inotify watches are counted per user and
// user namespace, up the chain of namespaces, and user.max_inotify_watches inside that namespace
// limits only the processes in it. So the test lowers the limit for this daemon alone, not the
// machine-wide fs.inotify.max_user_watches that every other inotify user depends on, and nothing
// needs restoring: the namespace ends with the daemon.

const WRAPPER = ['unshare', '--user', '--map-root-user', '--'];
const LIMIT_FILE = '/proc/sys/user/max_inotify_watches';

/** Whether this machine lets root create a user namespace and set its inotify watch limit. */
async function userNamespaceLimitWorks(): Promise<string | false> {
  if (process.getuid?.() !== 0) return 'needs root';
  const probe = await execa(WRAPPER[0] as string, [...WRAPPER.slice(1), 'tee', LIMIT_FILE], { input: '100\n', reject: false });
  return probe.exitCode === 0 ? false : `cannot set ${LIMIT_FILE} in a user namespace here: ${String(probe.stderr).trim()}`;
}

/** Sets the inotify watch limit of the daemon's user namespace (entered with nsenter, as its root). */
async function setWatchLimit(pid: number, value: number): Promise<void> {
  await execa('nsenter', ['--user', `--target=${pid}`, '--', 'tee', LIMIT_FILE], { input: `${value}\n`, stdout: 'ignore' });
}

async function status(queue: string, json: boolean): Promise<string> {
  const result = await execa(process.execPath, [CLI_ENTRY, 'status', '--queue-file', queue, ...(json ? ['--json'] : [])], { reject: false, stdin: 'ignore', timeout: 20_000 });
  assert.equal(result.exitCode, 0, `status failed: ${String(result.stdout)}${String(result.stderr)}`);
  return String(result.stdout);
}

const cleanups: Array<() => Promise<unknown>> = [];
after(async () => {
  explainTimeouts(undefined);
  for (const cleanup of cleanups.reverse()) await cleanup();
});

const skip = await userNamespaceLimitWorks();

test('watch limit reached after start-up: every file still arrives, status and metrics show it until the limit is raised', { skip, timeout: 240_000 }, async () => {
  const cluster = await LocalCluster.create({ nodes: 2 });
  cleanups.push(() => cluster.destroy());
  await cluster.startServer(1);
  const metricsFile = join(cluster.root, 'metrics-0.prom');
  const queue = join(cluster.root, 'queue-0', 'queue');
  const daemon = DaemonProcess.start(cluster, 0, { wrapper: WRAPPER, args: ['--metrics-file', metricsFile] });
  cleanups.push(() => daemon.stop());
  explainTimeouts(() => logTails([daemon], 30));
  await daemon.ready();
  const pid = daemon.pid as number;
  const a = cluster.node(0).dir;
  const b = cluster.node(1).dir;
  const dirs = Array.from({ length: 20 }, (_, i) => `new-${i}`);
  const metrics = async (): Promise<Map<string, number>> => parsePrometheusText(await readFile(metricsFile, 'utf8'));
  const reachedGauge = `inotify_csync_watch_limit_reached{root="${a}"}`;

  // The root holds its one watch; no new one can be added from here on.
  await setWatchLimit(pid, 1);
  for (const dir of dirs) {
    await mkdir(join(a, dir));
    await writeFile(join(a, dir, 'first.txt'), `first ${dir}\n`);
  }
  for (const dir of dirs) await waitFor(() => holds(join(b, dir, 'first.txt'), `first ${dir}\n`), `${dir}/first.txt on the peer`, 60_000, 100);

  // Written once the daemon has dealt with the new directories and gone quiet: no inotify event will ever tell of these.
  await waitFor(async () => {
    const s = JSON.parse(await status(queue, true)) as DaemonStatus;
    const lastWork = Math.max(s.counters.lastBatch?.at ?? 0, s.counters.lastFullSync?.at ?? 0);
    return s.fullSyncPending === undefined && s.queue.offset === s.queue.size && Date.now() - lastWork > 2000;
  }, 'the daemon to be idle for 2 s', 30_000, 250);
  const wroteSecondAt = Date.now();
  for (const dir of dirs) await writeFile(join(a, dir, 'second.txt'), `second ${dir}\n`);
  // Checked every 30 s while the limit lasts: within 30 s plus the check itself.
  for (const dir of dirs) await waitFor(() => holds(join(b, dir, 'second.txt'), `second ${dir}\n`), `${dir}/second.txt on the peer`, Math.max(1000, 50_000 - (Date.now() - wroteSecondAt)), 100);
  process.stdout.write(`# files written into unwatched directories reached the peer ${((Date.now() - wroteSecondAt) / 1000).toFixed(1)} s after the writes\n`);

  const shown = JSON.parse(await status(queue, true)) as DaemonStatus;
  const entry = shown.watchLimitReached?.find((e) => e.root === a);
  assert.ok(entry && entry.unwatchedDirectories !== undefined && entry.unwatchedDirectories >= 1, `unwatched directories: ${JSON.stringify(entry)}`);
  assert.equal(shown.state, 'running');
  const text = await status(queue, false);
  assert.match(text, new RegExp(`watch limit REACHED on ${a} since \\d\\d:\\d\\d:\\d\\d`), text);
  assert.match(text, /directories? unwatched, checked with csync2 -cr every 30 s/, text);
  await waitFor(async () => (await metrics()).get(reachedGauge) === 1, 'the metrics file to show the limit reached', 15_000, 200);
  assert.match(daemon.log, /WARN.*WATCH LIMIT: inotifywait could not watch the new directory .*new-\d+.*; .* checked with csync2 -cr every 30 s until the watches can be added/i);

  // Raised: the watches are added again and the state clears.
  await setWatchLimit(pid, 100_000);
  await waitFor(async () => {
    const s = JSON.parse(await status(queue, true)) as DaemonStatus;
    return (s.watchLimitReached ?? []).length === 0;
  }, 'the watch limit state to clear after the limit was raised', 30_000, 200);
  await daemon.waitForLine(new RegExp(`WATCH LIMIT: every directory under ${a} is watched again`), 5000);
  await waitFor(async () => (await metrics()).get(reachedGauge) === 0, 'the metrics file to show the limit no longer reached', 15_000, 200);
  assert.doesNotMatch(await status(queue, false), /watch limit REACHED/);

  // Watched again: a change is seen by inotify and sent in a batch, not by a scheduled check.
  const wroteThirdAt = Date.now();
  for (const dir of dirs) await writeFile(join(a, dir, 'third.txt'), `third ${dir}\n`);
  for (const dir of dirs) await waitFor(() => holds(join(b, dir, 'third.txt'), `third ${dir}\n`), `${dir}/third.txt on the peer`, 10_000, 50);
  process.stdout.write(`# after the limit was raised, files reached the peer ${((Date.now() - wroteThirdAt) / 1000).toFixed(1)} s after the writes\n`);
});

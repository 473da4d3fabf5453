import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { waitFor } from '../helpers/wait.js';

// 100,000 changed paths in one batch never hit the kernel's argument limit.
// csync2 is replaced by a recorder (test/fixtures/bin/csync2-recorder): what is
// checked is how the calls are split, and that every path is passed once.
let cluster: LocalCluster;
let daemon: DaemonProcess;
let log: string;
let hold: string;

function recordedArgs(): string[] {
  return existsSync(`${log}.args`) ? readFileSync(`${log}.args`, 'latin1').split('\0') : [];
}

const queuedEventsFile = '/proc/sys/fs/inotify/max_queued_events';
let savedQueuedEvents: string | undefined;

before(async () => {
  // 200,000 events in a few seconds can outrun inotifywait: a larger kernel queue keeps them all
  // (only read when an inotify instance is created, and raising it harms nothing else).
  if (process.getuid?.() === 0) {
    savedQueuedEvents = readFileSync(queuedEventsFile, 'utf8').trim();
    writeFileSync(queuedEventsFile, String(Math.max(Number(savedQueuedEvents), 1_048_576)));
  }
  cluster = await LocalCluster.create({ nodes: 2 });
  const bin = join(cluster.root, 'fake-bin');
  mkdirSync(bin);
  symlinkSync(resolve('test/fixtures/bin/csync2-recorder'), join(bin, 'csync2'));
  log = join(cluster.root, 'csync2-calls');
  hold = join(cluster.root, 'hold');
  daemon = DaemonProcess.start(cluster, 0, {
    args: ['--debug', '--no-server', '--num-batched-changes-threshold', '200000', '--num-lines-until-reset', '1000000'],
    env: { PATH: `${bin}:${process.env.PATH ?? ''}`, FAKE_CSYNC2_LOG: log, FAKE_CSYNC2_HOLD: hold },
  });
  await daemon.ready();
  if (savedQueuedEvents !== undefined) writeFileSync(queuedEventsFile, savedQueuedEvents);
});

after(async () => {
  if (savedQueuedEvents !== undefined) writeFileSync(queuedEventsFile, savedQueuedEvents);
  await rm(hold, { force: true });
  await daemon.stop();
  await cluster.destroy();
});

test('100,000 changed paths in one batch: split into calls under the limit, every path passed', async () => {
  const a = cluster.node(0).dir;
  const dirs = Array.from({ length: 100 }, (_, d) => join(a, `dir-${String(d).padStart(3, '0')}`));
  for (const dir of dirs) mkdirSync(dir);
  await waitFor(() => {
    const args = new Set(recordedArgs());
    return dirs.every((dir) => args.has(dir));
  }, 'the new directories to be checked', 10_000);

  // Hold csync2 so that the 100,000 files pile up behind one running call.
  const callCount = (): number => readFileSync(`${log}.calls`, 'utf8').trim().split('\n').length;
  // Nothing runs now: every batch that started has ended, and so has every csync2 call,
  // the peer's update included (--debug logs each call's start and its end).
  const count = (pattern: RegExp): number => daemon.lines.filter((line) => pattern.test(line)).length;
  await waitFor(
    () => count(/PROCESSING QUEUE: /) === count(/batch of \d+ paths done/) && count(/\] csync2 -N /) === count(/\] csync2 [^:]*: [\w-]+ in \d+ ms/),
    "the directories' batch and its update to end",
    10_000,
  );
  const before = callCount();
  const argsBeforeBatch = recordedArgs().length;
  writeFileSync(hold, '');
  writeFileSync(join(a, 'first.txt'), 'first\n');
  await waitFor(() => callCount() > before, 'a csync2 call held', 5000);
  const files: string[] = [];
  for (const dir of dirs) {
    for (let i = 0; i < 1000; i++) {
      const file = join(dir, `file-with-a-rather-long-name-to-fill-the-argument-list-${String(i).padStart(4, '0')}.txt`);
      writeFileSync(file, '');
      files.push(file);
    }
  }
  const queue = join(cluster.root, 'queue-0', 'queue');
  await waitFor(() => readFileSync(queue).filter((byte) => byte === 0).length >= 100_000, 'all changes in the queue', 60_000, 200);
  await rm(hold);

  await daemon.waitForLine(/PROCESSING QUEUE: 1\d{5} paths from \d+ records/, 60_000);
  // A path is covered when it, or its directory (csync2 -cr DIR recurses), was passed after the big batch began.
  const covered = (args: Set<string>, file: string): boolean => args.has(file) || args.has(dirname(file));
  await waitFor(() => {
    const args = new Set(recordedArgs().slice(argsBeforeBatch));
    return files.every((file) => covered(args, file));
  }, 'every path passed to csync2 -cr', 60_000, 500).catch((error: Error) => {
    const args = new Set(recordedArgs().slice(argsBeforeBatch));
    const missing = files.filter((file) => !covered(args, file));
    const calls = readFileSync(`${log}.calls`, 'utf8').trim().split('\n').join(' ');
    const dirsSeen = dirs.filter((dir) => args.has(dir)).length;
    const present = files.length - missing.length;
    const missingDirs = [...new Set(missing.map((file) => file.split('/').slice(-2, -1)[0]))].join(',');
    throw new Error(`${error.message}: ${missing.length} missing, e.g. ${missing.slice(0, 3).join(' ')}; calls ${calls}; dirs seen ${dirsSeen}; present ${present}; missing dirs ${missingDirs}\n${daemon.lines.filter((l) => /PROCESSING|FULL SYNC|LARGE/.test(l)).join('\n')}`);
  });
  assert.doesNotMatch(daemon.log, /Argument list too long|E2BIG/);
  const calls = readFileSync(`${log}.calls`, 'utf8').trim().split('\n').map(Number);
  assert.ok(calls.filter((n) => n > 1000).length >= 2, `the batch was split into several calls: ${calls.join(' ')}`);
  const budget = 2 * 1024 * 1024;
  assert.ok(Math.max(...calls) * 130 < budget, 'each call stays well under ARG_MAX');
});

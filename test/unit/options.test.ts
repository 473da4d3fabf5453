import assert from 'node:assert/strict';
import { test } from 'node:test';
import { buildCli, runCli } from '../../src/cli/cli.js';
import { processIo } from '../../src/cli/commands/command-io.js';
import { ownFlags } from '../../src/cli/option-table.js';
import { DAEMON_OPTIONS, resolveOptions, defaultQueueFile } from '../../src/cli/options.js';
import { splitArgv } from '../../src/cli/split-argv.js';
import { UsageError } from '../../src/errors.js';

const cli = buildCli({ csync2: { passThrough: [] }, io: processIo(), running: { observers: [] } });
/** The daemon's own flags, as its cac declarations give them to splitArgv. */
const DAEMON_FLAGS = ownFlags(cli, cli.commands.find((command) => command.isDefaultCommand) ?? cli.globalCommand);

test('csync2 options pass through unchanged and in order; own options go to cac', () => {
  const split = splitArgv(['-N', 'host1', '--debug', '-D', '/var/lib/csync2', '-v', '--mode', 'thread', '-Cweb', '-G', 'g1,g2', '-p', '30866'], DAEMON_FLAGS);
  assert.deepEqual(split.csync2.passThrough, ['-N', 'host1', '-D', '/var/lib/csync2', '-v', '-Cweb', '-G', 'g1,g2', '-p', '30866']);
  assert.deepEqual(split.own, ['--debug', '--mode=thread']);
  assert.equal(split.csync2.host, 'host1');
  assert.equal(split.csync2.database, '/var/lib/csync2');
  assert.equal(split.csync2.configName, 'web');
  assert.deepEqual(split.csync2.groups, ['g1', 'g2']);
  assert.equal(split.csync2.port, '30866');
});

test('-m is the mode option (as in the Python variant), also glued', () => {
  assert.deepEqual(splitArgv(['-m', 'thread'], DAEMON_FLAGS).own, ['--mode=thread']);
  assert.deepEqual(splitArgv(['-mthread'], DAEMON_FLAGS).own, ['--mode=thread']);
});

test('a csync2 mode option is refused with the reason', () => {
  assert.throws(() => splitArgv(['-N', 'h', '-x'], DAEMON_FLAGS), /csync2 option -x selects a csync2 mode/);
});

test('a stray argument is refused', () => {
  assert.throws(() => splitArgv(['-N', 'h', 'extra'], DAEMON_FLAGS), /unexpected argument 'extra'/);
});

test('defaults are those of the Python variant', () => {
  const options = resolveOptions({}, { passThrough: ['-N', 'h1'], host: 'h1' }, 'machine');
  assert.equal(options.checkIntervalMs, 500);
  assert.equal(options.fullSyncIntervalMs, 3_600_000);
  assert.equal(options.numLinesUntilReset, 200_000);
  assert.equal(options.numBatchedChangesThreshold, 15_000);
  assert.equal(options.rsyncThreshold, 5000);
  assert.equal(options.parallelUpdates, true);
  assert.equal(options.maxWaitMs, 10_000);
  assert.equal(options.mode, 'async');
  assert.equal(options.runServer, true);
  assert.equal(options.csync2.host, 'h1');
});

test('the machine host name is used without -N', () => {
  assert.equal(resolveOptions({}, { passThrough: [] }, 'web1').csync2.host, 'web1');
});

test('invalid values name the option, the value and what is allowed', () => {
  const csync2 = { passThrough: [] };
  assert.throws(() => resolveOptions({ checkInterval: '-1' }, csync2, 'h'), { message: '--check-interval -1: expected a number of seconds > 0 (e.g. --check-interval 0.5)' });
  assert.throws(() => resolveOptions({ mode: 'fork' }, csync2, 'h'), { message: '--mode fork: expected one of async, thread' });
  assert.throws(() => resolveOptions({ numBatchedChangesThreshold: 'many' }, csync2, 'h'), { message: '--num-batched-changes-threshold many: expected a whole number >= 1 (e.g. --num-batched-changes-threshold 15000)' });
  assert.throws(() => resolveOptions({ parallelUpdates: '2' }, csync2, 'h'), /--parallel-updates 2: expected 1/);
  assert.throws(() => resolveOptions({ fullSyncInterval: 'x' }, csync2, 'h'), /--full-sync-interval x: expected a number of seconds >= 0/);
});

test('a whole-tree check has its own timeout, longer than one csync2 call', () => {
  const csync2 = { passThrough: [] };
  const defaults = resolveOptions({}, csync2, 'h');
  assert.equal(defaults.csync2TimeoutMs, 600_000);
  assert.equal(defaults.fullSyncTimeoutMs, 3_600_000);
  assert.equal(resolveOptions({ fullSyncTimeout: '7200' }, csync2, 'h').fullSyncTimeoutMs, 7_200_000);
  assert.throws(() => resolveOptions({ fullSyncTimeout: '0' }, csync2, 'h'), { message: '--full-sync-timeout 0: expected a number of seconds > 0 (e.g. --full-sync-timeout 3600)' });
});

test('--disable-rsync turns the rsync threshold off', () => {
  assert.equal(resolveOptions({ disableRsync: true }, { passThrough: [] }, 'h').rsyncThreshold, undefined);
});

test('the queue lives under /var/lib for root and in the state directory otherwise', () => {
  assert.equal(defaultQueueFile('host1', 0), '/var/lib/inotify-csync/host1.queue');
  assert.equal(defaultQueueFile('host1', 1000, { XDG_STATE_HOME: '/home/u/.state' }), '/home/u/.state/inotify-csync/host1.queue');
});

test('--metrics-file takes a value and must end in .prom, the only files the textfile collector reads', () => {
  assert.deepEqual(splitArgv(['--metrics-file', '/var/lib/node-exporter/ic.prom'], DAEMON_FLAGS).own, ['--metrics-file=/var/lib/node-exporter/ic.prom']);
  assert.equal(resolveOptions({ metricsFile: '/tmp/ic.prom' }, { passThrough: [] }, 'h').metricsFile, '/tmp/ic.prom');
  assert.equal(resolveOptions({}, { passThrough: [] }, 'h').metricsFile, undefined);
  assert.throws(() => resolveOptions({ metricsFile: '/tmp/ic.txt' }, { passThrough: [] }, 'h'), /^UsageError: --metrics-file \/tmp\/ic\.txt: node_exporter's textfile collector reads only files ending in \.prom \(e\.g\./);
  assert.throws(() => resolveOptions({ metricsFile: '/tmp/.prom' }, { passThrough: [] }, 'h'), /ending in \.prom/);
});

test('the flags splitArgv knows come from the option table: every value option, -m for --mode and -h for --help', () => {
  const values = Object.values(DAEMON_OPTIONS).filter((spec) => spec.flags.includes('<')).map((spec) => /--([\w-]+)/.exec(spec.flags)?.[1]);
  assert.deepEqual([...DAEMON_FLAGS.values].sort(), values.sort());
  assert.deepEqual(Object.fromEntries(DAEMON_FLAGS.shorts), { m: { long: 'mode', value: true }, h: { long: 'help', value: false } });
  // A letter the daemon does not claim stays csync2's, -m and -h are not.
  assert.deepEqual(splitArgv(['-v', '-h', '-m', 'thread'], DAEMON_FLAGS), { own: ['-h', '--mode=thread'], csync2: { passThrough: ['-v'] } });
});

test("cac's own checks keep the daemon's wording", async () => {
  const io = processIo();
  await assert.rejects(runCli(['--bogus-thing'], io), new UsageError('unknown option --bogus-thing: see --help'));
  await assert.rejects(runCli(['--check-interval'], io), new UsageError('--check-interval needs a value: see --help'));
  await assert.rejects(runCli(['-m'], io), new UsageError('--mode needs a value: see --help'));
  await assert.rejects(runCli(['extra'], io), new UsageError("unknown command 'extra': see --help"));
  await assert.rejects(runCli(['status', '--bogus'], io), new UsageError('status: unknown option --bogus: see status --help'));
  await assert.rejects(runCli(['status', '--version'], io), new UsageError('status: unknown option --version: see status --help'));
  await assert.rejects(runCli(['status', '--queue-file'], io), new UsageError('status: --queue-file needs a value: see status --help'));
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatDuration, relativeTime } from '../../../src/status/durations.js';
import { formatStatus } from '../../../src/status/format-status.js';
import { systemdStatusLine } from '../../../src/systemd/status-line.js';
import { sampleStatus } from './fake-daemon.js';

describe('durations', () => {
  test('short and long spans', () => {
    assert.equal(formatDuration(400), '0.4 s');
    assert.equal(formatDuration(12_000), '12 s');
    assert.equal(formatDuration(300_000), '5 min');
    assert.equal(formatDuration(3 * 3600_000 + 20 * 60_000), '3 h 20 min');
    assert.equal(formatDuration(52 * 3600_000), '2 d 4 h');
    assert.equal(relativeTime(1000, 13_000), '12 s ago');
    assert.equal(relativeTime(21_000, 13_000), 'in 8.0 s');
  });
});

describe('systemd STATUS= line', () => {
  test('starting shows the start-up step', () => {
    assert.equal(systemdStatusLine(sampleStatus({ state: 'starting' }), 'still setting up watches (12 s so far)'), 'still setting up watches (12 s so far)');
    assert.equal(systemdStatusLine(sampleStatus({ state: 'starting' }), undefined), 'starting');
  });

  test('running shows the last batch and every failing peer', () => {
    const line = systemdStatusLine(sampleStatus(), undefined);
    assert.match(line, /^running: watching 1 root; synced 3 paths to 2 peers in 0\.4 s at \d\d:\d\d:\d\d; peer host3 failing since \d\d:\d\d:\d\d \(4 failures\)$/);
    assert.doesNotMatch(line, /host2/);
    assert.doesNotMatch(line, /\n/);
  });

  test('a full sync newer than the last batch is shown instead, and queued bytes', () => {
    const now = Date.now();
    const status = sampleStatus({ peers: [], queue: { file: 'q', size: 300, offset: 100, linesRead: 1, appended: 3 } });
    status.counters.lastFullSync = { at: now, ms: 2100, ok: true, reason: 'queue reset' };
    assert.match(systemdStatusLine(status, undefined), /^running: watching 1 root; full sync \(queue reset\) to 0 peers took 2\.1 s at .*; 200 bytes queued$/);
  });

  test('the watch limit reached under a root', () => {
    const status = sampleStatus({ watchLimitReached: [{ root: '/srv/www', since: Date.now() - 60_000, unwatchedDirectories: 20, checkEveryMs: 30_000 }] });
    assert.match(systemdStatusLine(status, undefined), /; WATCH LIMIT reached under \/srv\/www since \d\d:\d\d:\d\d \(20 directories unwatched\)/);
  });

  test('draining', () => {
    assert.match(systemdStatusLine(sampleStatus({ state: 'draining' }), undefined), /^draining/);
  });
});

describe('status command text', () => {
  test('every topic on its own line, peers with their state', () => {
    const status = sampleStatus({ watchCount: 1234 });
    const text = formatStatus(status, status.updatedAt + 1000);
    assert.match(text, /^inotify-csync 0\.1\.0 for host host1: running, PID \d+, up 5 min/);
    assert.match(text, /watching {3}\/srv\/www \(1 root, 1234 inotify watches\)/);
    assert.match(text, /queue {6}0 bytes unread \(offset 120 of 120\), 7 records read since the last reset/);
    assert.match(text, /last batch 3 paths in 0\.4 s, 12 s ago/);
    assert.match(text, /full sync {2}took 2\.1 s, 4 min ago \(start-up\)/);
    assert.match(text, /peers {6}host2 {2}ok, last success 12 s ago/);
    assert.match(text, /host3 {2}FAILING since \d\d:\d\d:\d\d, 4 consecutive failures, backoff until \d\d:\d\d:\d\d \(in \d\.\d s\), last success .*: connection refused/);
    assert.match(text, /counters {3}3 batches, 7 paths synced, 1 full sync, 0 queue resets, 9 inotify events, 0 overflows since start/);
    assert.doesNotMatch(text, /warning/);
    assert.doesNotMatch(text, /memory/, 'no memory line from a daemon that did not report it');
  });

  test('the daemon\'s memory, RSS and the JS heap in use', () => {
    const status = sampleStatus({ memory: { rssBytes: 52.7 * 1024 * 1024, heapUsedBytes: 9.25 * 1024 * 1024 } });
    const text = formatStatus(status, status.updatedAt + 1000);
    assert.match(text, /memory {5}RSS 52\.7 MB \(JS heap in use 9\.3 MB\), inotifywait and csync2 not counted/);
  });

  test('no watch count when unknown; a warning when the file is old', () => {
    const status = sampleStatus();
    const text = formatStatus(status, status.updatedAt + 60_000);
    assert.match(text, /\/srv\/www \(1 root\)/);
    assert.match(text, /warning: the daemon has not updated its status for 60 s/);
  });

  test('the watch limit reached after start-up: a line of its own under the roots, with the fix', () => {
    const base = sampleStatus();
    const since = base.updatedAt - 125_000;
    const status = sampleStatus({
      watchLimitReached: [{ root: '/srv/www', since, unwatchedDirectories: 20, lastCheckAt: base.updatedAt - 5000, checkEveryMs: 30_000, limit: { value: 8192, name: 'fs.inotify.max_user_watches' } }],
    });
    const text = formatStatus(status, status.updatedAt);
    assert.match(
      text,
      /\n {13}watch limit REACHED on \/srv\/www since \d\d:\d\d:\d\d \(2 min\): 20 directories unwatched, checked with csync2 -cr every 30 s \(last 5\.0 s ago\); raise fs\.inotify\.max_user_watches \(now 8192\)\n/,
      text,
    );
    assert.doesNotMatch(formatStatus(sampleStatus({ watchLimitReached: [] }), base.updatedAt), /watch limit/);
  });

  test('nothing synced yet', () => {
    const status = sampleStatus({ peers: [], counters: { batches: 0, pathsSynced: 0, fullSyncs: 0, resets: 0, events: 0, overflows: 0 } });
    const text = formatStatus(status, status.updatedAt);
    assert.match(text, /last batch none yet/);
    assert.match(text, /full sync {2}none yet/);
    assert.match(text, /peers {6}none/);
  });
});

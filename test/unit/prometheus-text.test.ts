import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderMetrics } from '../../src/metrics/prometheus-text.js';
import { parsePrometheusText, SAMPLE_LINE } from '../helpers/prometheus-text.js';
import { fixedStatus } from './metrics-fixture.js';

test('a fixed snapshot gives exactly this text', () => {
  assert.equal(renderMetrics(fixedStatus()), `# HELP inotify_csync_info The running daemon, always 1: its version, csync2 host name and csync2 database backend as labels.
# TYPE inotify_csync_info gauge
inotify_csync_info{version="0.1.0",host="host1"} 1
# HELP inotify_csync_state The daemon state: 1 for the current one (starting, running, draining).
# TYPE inotify_csync_state gauge
inotify_csync_state{state="starting"} 0
inotify_csync_state{state="running"} 1
inotify_csync_state{state="draining"} 0
# HELP inotify_csync_start_time_seconds When the daemon started, in unix seconds.
# TYPE inotify_csync_start_time_seconds gauge
inotify_csync_start_time_seconds 1764000000
# HELP inotify_csync_last_update_timestamp_seconds When these numbers were taken, in unix seconds: rewritten every 5 s and after each sync, so an old one means a stuck daemon.
# TYPE inotify_csync_last_update_timestamp_seconds gauge
inotify_csync_last_update_timestamp_seconds 1764000300.5
# HELP inotify_csync_peer_up 1 when the last update of the peer succeeded (or none has failed yet), 0 while its updates fail.
# TYPE inotify_csync_peer_up gauge
inotify_csync_peer_up{peer="host2"} 1
inotify_csync_peer_up{peer="we\\"ird\\\\host"} 0
# HELP inotify_csync_peer_last_success_timestamp_seconds When the last successful csync2 update of the peer ended, in unix seconds (absent before the first).
# TYPE inotify_csync_peer_last_success_timestamp_seconds gauge
inotify_csync_peer_last_success_timestamp_seconds{peer="host2"} 1764000299.25
# HELP inotify_csync_peer_pending_paths Paths checked on this node that the peer has not been updated with yet (the paths of full syncs are not counted).
# TYPE inotify_csync_peer_pending_paths gauge
inotify_csync_peer_pending_paths{peer="host2"} 0
inotify_csync_peer_pending_paths{peer="we\\"ird\\\\host"} 12
# HELP inotify_csync_peer_consecutive_failures Failed updates of the peer in a row (0 when its last update succeeded).
# TYPE inotify_csync_peer_consecutive_failures gauge
inotify_csync_peer_consecutive_failures{peer="host2"} 0
inotify_csync_peer_consecutive_failures{peer="we\\"ird\\\\host"} 3
# HELP inotify_csync_batches_total Batches of changed paths checked with csync2 (retries included).
# TYPE inotify_csync_batches_total counter
inotify_csync_batches_total 5
# HELP inotify_csync_paths_synced_total Paths checked successfully in batches.
# TYPE inotify_csync_paths_synced_total counter
inotify_csync_paths_synced_total 37
# HELP inotify_csync_full_syncs_total Full syncs (csync2 -cr / and updates), the start-up one included.
# TYPE inotify_csync_full_syncs_total counter
inotify_csync_full_syncs_total 2
# HELP inotify_csync_queue_resets_total Times the queue file was emptied after num_lines_until_reset records.
# TYPE inotify_csync_queue_resets_total counter
inotify_csync_queue_resets_total 0
# HELP inotify_csync_inotify_events_total Events read from inotifywait, before filtering.
# TYPE inotify_csync_inotify_events_total counter
inotify_csync_inotify_events_total 120
# HELP inotify_csync_inotify_overflows_total Kernel inotify queue overflows, inferred (a queue's worth of events within a second, or a stall of the daemon's event loop while events came in); each is followed by a full sync.
# TYPE inotify_csync_inotify_overflows_total counter
inotify_csync_inotify_overflows_total 1
# HELP inotify_csync_batch_duration_seconds Time a batch took: csync2 -cr of its paths (and rsync for a large one); the peer updates run after it, on their own.
# TYPE inotify_csync_batch_duration_seconds histogram
inotify_csync_batch_duration_seconds_bucket{le="0.05"} 1
inotify_csync_batch_duration_seconds_bucket{le="0.5"} 4
inotify_csync_batch_duration_seconds_bucket{le="2"} 5
inotify_csync_batch_duration_seconds_bucket{le="+Inf"} 5
inotify_csync_batch_duration_seconds_sum 1.75
inotify_csync_batch_duration_seconds_count 5
# HELP inotify_csync_full_sync_duration_seconds Time a full sync took (csync2 -cr /, or csync2 -x).
# TYPE inotify_csync_full_sync_duration_seconds histogram
inotify_csync_full_sync_duration_seconds_bucket{le="1"} 0
inotify_csync_full_sync_duration_seconds_bucket{le="10"} 2
inotify_csync_full_sync_duration_seconds_bucket{le="+Inf"} 2
inotify_csync_full_sync_duration_seconds_sum 7.5
inotify_csync_full_sync_duration_seconds_count 2
# HELP inotify_csync_sync_latency_seconds Time from a change to every peer updated for it: per batch, from its oldest record's append to the queue until every peer had a successful update started after the batch's check. Changes covered by a full sync rather than a batch are not counted.
# TYPE inotify_csync_sync_latency_seconds histogram
inotify_csync_sync_latency_seconds_bucket{le="0.25"} 2
inotify_csync_sync_latency_seconds_bucket{le="2"} 3
inotify_csync_sync_latency_seconds_bucket{le="+Inf"} 4
inotify_csync_sync_latency_seconds_sum 9.125
inotify_csync_sync_latency_seconds_count 4
# HELP inotify_csync_queue_size_bytes Size of the queue file.
# TYPE inotify_csync_queue_size_bytes gauge
inotify_csync_queue_size_bytes 4096
# HELP inotify_csync_queue_offset_bytes Read offset in the queue file: size minus offset is not read yet.
# TYPE inotify_csync_queue_offset_bytes gauge
inotify_csync_queue_offset_bytes 3584
# HELP inotify_csync_inotify_watches inotify watches held by the daemon's inotifywait processes (counted at most every 30 s).
# TYPE inotify_csync_inotify_watches gauge
inotify_csync_inotify_watches 812
# HELP inotify_csync_inotify_max_user_watches fs.inotify.max_user_watches: the per-user limit the watches count against.
# TYPE inotify_csync_inotify_max_user_watches gauge
inotify_csync_inotify_max_user_watches 524288
# HELP inotify_csync_watch_limit_reached Per watched root: 1 while directories under it have no watch because the inotify watch limit was reached after start-up (they are checked with csync2 -cr every 30 s meanwhile), else 0.
# TYPE inotify_csync_watch_limit_reached gauge
inotify_csync_watch_limit_reached{root="/srv/www"} 0
`);
});

test('every line is a comment or a sample line, each family declared once before its samples', () => {
  const declared = new Set<string>();
  for (const line of renderMetrics(fixedStatus()).trimEnd().split('\n')) {
    const type = /^# TYPE (\S+) (gauge|counter|histogram)$/.exec(line);
    if (type?.[1]) {
      assert.ok(!declared.has(type[1]), `${type[1]} declared twice`);
      declared.add(type[1]);
      continue;
    }
    if (line.startsWith('# HELP ')) continue;
    assert.match(line, SAMPLE_LINE);
    const name = line.split(/[{ ]/)[0] ?? '';
    assert.ok(declared.has(name.replace(/_(bucket|sum|count)$/, '')) || declared.has(name), `${name} has no TYPE line before it`);
  }
});

test('what is not known is left out rather than written as 0', () => {
  const status = { ...fixedStatus(), peers: [], watchCount: undefined, watchLimit: undefined };
  const text = renderMetrics(status);
  assert.doesNotMatch(text, /inotify_csync_peer_/);
  assert.doesNotMatch(text, /inotify_csync_inotify_watches|inotify_csync_inotify_max_user_watches/);
  assert.match(text, /^inotify_csync_batches_total 5$/m);
});

test('the parser used by the integration test refuses a line that is not a sample', () => {
  assert.equal(parsePrometheusText(renderMetrics(fixedStatus())).get('inotify_csync_peer_up{peer="host2"}'), 1);
  assert.throws(() => parsePrometheusText('inotify_csync_x{peer=host2} 1\n'), /not a Prometheus sample line/);
  assert.throws(() => parsePrometheusText('inotify_csync_x 1 2 3\n'), /not a Prometheus sample line/);
});

test('the database backend is a label of info, and the csync2 port counts refusals by reason', () => {
  const status = { ...fixedStatus(), database: 'pgsql' as const, server: { refused: 3, silent: 2, overCap: 1, ended: 4, long: 5 } };
  const text = renderMetrics(status);
  assert.match(text, /^inotify_csync_info\{version="[^"]+",host="[^"]+",database="pgsql"\} 1$/m);
  assert.match(text, /^inotify_csync_server_connections_refused_total\{reason="not_a_peer"\} 3$/m);
  assert.match(text, /^inotify_csync_server_connections_refused_total\{reason="too_many"\} 1$/m);
  assert.match(text, /^inotify_csync_server_connections_refused_total\{reason="silent"\} 2$/m);
  assert.match(text, /^inotify_csync_server_sessions_ended_total 4$/m);
  assert.match(text, /^inotify_csync_server_sessions_long_total 5$/m);
  assert.doesNotMatch(renderMetrics(fixedStatus()), /server_/, 'no server families with --no-server');
});

test('the watch limit reached after start-up: 1 for that root with its unwatched directories, 0 for the others', () => {
  const status = { ...fixedStatus(), watchedRoots: ['/srv/www', '/srv/data'], watchLimitReached: [{ root: '/srv/data', since: 1_764_000_100_000, unwatchedDirectories: 20, checkEveryMs: 30_000 }] };
  const samples = parsePrometheusText(renderMetrics(status));
  assert.equal(samples.get('inotify_csync_watch_limit_reached{root="/srv/www"}'), 0);
  assert.equal(samples.get('inotify_csync_watch_limit_reached{root="/srv/data"}'), 1);
  assert.equal(samples.get('inotify_csync_unwatched_directories{root="/srv/data"}'), 20);
  assert.equal(samples.get('inotify_csync_unwatched_directories{root="/srv/www"}'), undefined);
});

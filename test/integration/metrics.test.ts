import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { DaemonStatus } from '../../src/daemon/status-snapshot.js';
import { statusFilePath } from '../../src/status/status-file.js';
import { useDaemonCluster } from '../helpers/daemon-cluster.js';
import { parsePrometheusText } from '../helpers/prometheus-text.js';
import { holds, waitFor } from '../helpers/wait.js';

// Black-box: the real daemon with --metrics-file on a two-node csync2 cluster on loopback.
describe('--metrics-file', () => {
  const ctx = useDaemonCluster({
    daemon: (cluster, index) => ({ args: ['--metrics-file', join(cluster.root, `metrics-${index}.prom`)] }),
  });
  const metricsOf = (index: number): string => join(ctx.cluster.root, `metrics-${index}.prom`);
  const metrics = async (index: number): Promise<Map<string, number>> => parsePrometheusText(await readFile(metricsOf(index), 'utf8'));

  test('after a change reaches the peer: a batch, the peer up, a sync latency observed, valid Prometheus text', async () => {
    const peer = `peer="${ctx.cluster.node(1).host}"`;
    await writeFile(join(ctx.cluster.node(0).dir, 'measured.txt'), 'measured\n');
    await waitFor(() => holds(join(ctx.cluster.node(1).dir, 'measured.txt'), 'measured\n'), 'measured.txt on the peer', 10_000);

    const samples = await waitFor(async () => {
      const m = await metrics(0);
      // Nothing pending once delivered: a batch left waiting for an update that never comes would show here.
      const delivered = m.get(`inotify_csync_peer_pending_paths{${peer}}`) === 0 && m.get(`inotify_csync_peer_up{${peer}}`) === 1;
      return delivered && (m.get('inotify_csync_batches_total') ?? 0) >= 1 && (m.get('inotify_csync_sync_latency_seconds_count') ?? 0) >= 1 ? m : undefined;
    }, 'the metrics file to show a batch, a latency observation and nothing pending', 15_000, 100);
    assert.ok(samples);
    assert.equal(samples.get(`inotify_csync_peer_consecutive_failures{${peer}}`), 0);
    assert.ok((samples.get(`inotify_csync_peer_last_success_timestamp_seconds{${peer}}`) ?? 0) > Date.now() / 1000 - 60);
    assert.ok((samples.get('inotify_csync_full_syncs_total') ?? 0) >= 1, 'the start-up full sync');
    assert.ok((samples.get('inotify_csync_full_sync_duration_seconds_count') ?? 0) >= 1);
    assert.ok((samples.get('inotify_csync_batch_duration_seconds_count') ?? 0) >= 1);
    // One change, delivered on loopback: well within the 60 s bucket, and the +Inf bucket is the count.
    const latencyCount = samples.get('inotify_csync_sync_latency_seconds_count');
    assert.equal(samples.get('inotify_csync_sync_latency_seconds_bucket{le="+Inf"}'), latencyCount);
    assert.equal(samples.get('inotify_csync_sync_latency_seconds_bucket{le="60"}'), latencyCount);
    assert.ok((samples.get('inotify_csync_queue_size_bytes') ?? 0) > 0);
    assert.ok((samples.get('inotify_csync_inotify_watches') ?? 0) >= 1, 'the watched root');
    assert.ok((samples.get('inotify_csync_inotify_max_user_watches') ?? 0) > 0);

    // `status --json`'s numbers are the metrics file's: both come from one snapshot, written together.
    const consistent = await waitFor(async () => {
      const before = await readFile(metricsOf(0), 'utf8');
      const snapshot = JSON.parse(await readFile(statusFilePath(join(ctx.cluster.root, 'queue-0', 'queue')), 'utf8')) as DaemonStatus;
      const afterwards = await readFile(metricsOf(0), 'utf8');
      return before === afterwards ? { metricsText: before, status: snapshot } : undefined;
    }, 'a moment without a rewrite between the two reads', 5000);
    assert.ok(consistent);
    const { metricsText, status } = consistent;
    const same = parsePrometheusText(metricsText);
    assert.equal(same.get('inotify_csync_batches_total'), status.counters.batches);
    assert.equal(same.get('inotify_csync_sync_latency_seconds_count'), status.histograms.syncLatencySeconds.count);
    assert.equal(same.get('inotify_csync_queue_offset_bytes'), status.queue.offset);
  });

  test('a stopped peer: up 0 and its pending paths on this node; its own metrics file is gone', async () => {
    const peerDaemon = ctx.daemons[1];
    assert.ok(peerDaemon);
    assert.equal(await peerDaemon.stop(), 0);
    assert.ok(!existsSync(metricsOf(1)), 'a stopped daemon removes its metrics file');
    const peer = `peer="${ctx.cluster.node(1).host}"`;
    await writeFile(join(ctx.cluster.node(0).dir, 'while-down.txt'), 'waiting\n');
    const samples = await waitFor(async () => {
      const m = await metrics(0);
      return m.get(`inotify_csync_peer_up{${peer}}`) === 0 && (m.get(`inotify_csync_peer_pending_paths{${peer}}`) ?? 0) >= 1 ? m : undefined;
    }, 'the metrics to show the peer down with a path pending', 20_000, 200);
    assert.ok(samples);
    assert.ok((samples.get(`inotify_csync_peer_consecutive_failures{${peer}}`) ?? 0) >= 1);
  });
});

import type { DaemonStatus } from '../daemon/status-snapshot.js';
import type { HistogramSnapshot } from './histogram.js';

/** Every metric name starts with this. */
const PREFIX = 'inotify_csync_';

type Labels = Record<string, string>;
interface Sample {
  /** Appended to the family's name (`_bucket`, `_sum`, `_count` of a histogram). */
  suffix?: string;
  labels?: Labels;
  value: number;
}
interface Family {
  name: string;
  type: 'gauge' | 'counter' | 'histogram';
  help: string;
  samples: Sample[];
}

/** Numbers as Prometheus reads them (Go's ParseFloat: +Inf, NaN). */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return 'NaN';
  if (!Number.isFinite(value)) return value > 0 ? '+Inf' : '-Inf';
  return String(value);
}

const escapeLabel = (value: string): string => value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
const escapeHelp = (text: string): string => text.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');

function formatLabels(labels: Labels | undefined): string {
  const entries = Object.entries(labels ?? {});
  return entries.length === 0 ? '' : `{${entries.map(([key, value]) => `${key}="${escapeLabel(value)}"`).join(',')}}`;
}

function histogramSamples(histogram: HistogramSnapshot): Sample[] {
  return [
    ...histogram.buckets.map(({ le, count }) => ({ suffix: '_bucket', labels: { le: formatValue(le) }, value: count })),
    { suffix: '_bucket', labels: { le: '+Inf' }, value: histogram.count },
    { suffix: '_sum', value: histogram.sum },
    { suffix: '_count', value: histogram.count },
  ];
}

const seconds = (epochMs: number): number => epochMs / 1000;

/** The csync2 port: connections turned away before csync2 saw them, and sessions cut short. */
function serverFamilies(server: NonNullable<DaemonStatus['server']>): Family[] {
  const reason = (name: string, value: number): Sample => ({ labels: { reason: name }, value });
  return [
    {
      name: 'server_connections_refused_total',
      type: 'counter',
      help: 'Connections to the csync2 port closed before any session: not a peer\'s address, too many open, or silent past the first-request deadline.',
      samples: [reason('not_a_peer', server.refused), reason('too_many', server.overCap), reason('silent', server.silent)],
    },
    { name: 'server_sessions_ended_total', type: 'counter', help: 'csync2 sessions the daemon ended: no answer to a first request, no progress, or the time limit.', samples: [{ value: server.ended }] },
    { name: 'server_sessions_long_total', type: 'counter', help: 'csync2 sessions that ran longer than 5 s (local checks may have waited for them).', samples: [{ value: server.long }] },
  ];
}

/** The families, in the order they are written; a family without samples is left out. */
function families(status: DaemonStatus): Family[] {
  const peer = (name: string): Labels => ({ peer: name });
  const { counters, queue, histograms } = status;
  return [
    { name: 'info', type: 'gauge', help: 'The running daemon, always 1: its version, csync2 host name and csync2 database backend as labels.', samples: [{ labels: { version: status.version, host: status.host, ...(status.database ? { database: status.database } : {}) }, value: 1 }] },
    {
      name: 'state',
      type: 'gauge',
      help: 'The daemon state: 1 for the current one (starting, running, draining).',
      samples: (['starting', 'running', 'draining'] as const).map((state) => ({ labels: { state }, value: status.state === state ? 1 : 0 })),
    },
    { name: 'start_time_seconds', type: 'gauge', help: 'When the daemon started, in unix seconds.', samples: [{ value: seconds(status.startedAt) }] },
    {
      name: 'last_update_timestamp_seconds',
      type: 'gauge',
      help: 'When these numbers were taken, in unix seconds: rewritten every 5 s and after each sync, so an old one means a stuck daemon.',
      samples: [{ value: seconds(status.updatedAt) }],
    },
    { name: 'peer_up', type: 'gauge', help: '1 when the last update of the peer succeeded (or none has failed yet), 0 while its updates fail.', samples: status.peers.map((p) => ({ labels: peer(p.name), value: p.up ? 1 : 0 })) },
    {
      name: 'peer_last_success_timestamp_seconds',
      type: 'gauge',
      help: 'When the last successful csync2 update of the peer ended, in unix seconds (absent before the first).',
      samples: status.peers.flatMap((p) => (p.lastSuccessAt === undefined ? [] : [{ labels: peer(p.name), value: seconds(p.lastSuccessAt) }])),
    },
    {
      name: 'peer_pending_paths',
      type: 'gauge',
      help: 'Paths checked on this node that the peer has not been updated with yet (the paths of full syncs are not counted).',
      samples: status.peers.map((p) => ({ labels: peer(p.name), value: p.pendingPaths })),
    },
    { name: 'peer_consecutive_failures', type: 'gauge', help: 'Failed updates of the peer in a row (0 when its last update succeeded).', samples: status.peers.map((p) => ({ labels: peer(p.name), value: p.consecutiveFailures })) },
    { name: 'batches_total', type: 'counter', help: 'Batches of changed paths checked with csync2 (retries included).', samples: [{ value: counters.batches }] },
    { name: 'paths_synced_total', type: 'counter', help: 'Paths checked successfully in batches.', samples: [{ value: counters.pathsSynced }] },
    { name: 'full_syncs_total', type: 'counter', help: 'Full syncs (csync2 -cr / and updates), the start-up one included.', samples: [{ value: counters.fullSyncs }] },
    { name: 'queue_resets_total', type: 'counter', help: 'Times the queue file was emptied after num_lines_until_reset records.', samples: [{ value: counters.resets }] },
    { name: 'inotify_events_total', type: 'counter', help: 'Events read from inotifywait, before filtering.', samples: [{ value: counters.events }] },
    { name: 'inotify_overflows_total', type: 'counter', help: "Kernel inotify queue overflows, inferred (a queue's worth of events within a second, or a stall of the daemon's event loop while events came in); each is followed by a full sync.", samples: [{ value: counters.overflows }] },
    ...(status.server ? serverFamilies(status.server) : []),
    { name: 'batch_duration_seconds', type: 'histogram', help: 'Time a batch took: csync2 -cr of its paths (and rsync for a large one); the peer updates run after it, on their own.', samples: histogramSamples(histograms.batchDurationSeconds) },
    { name: 'full_sync_duration_seconds', type: 'histogram', help: 'Time a full sync took (csync2 -cr /, or csync2 -x).', samples: histogramSamples(histograms.fullSyncDurationSeconds) },
    {
      name: 'sync_latency_seconds',
      type: 'histogram',
      help: "Time from a change to every peer updated for it: per batch, from its oldest record's append to the queue until every peer had a successful update started after the batch's check. Changes covered by a full sync rather than a batch are not counted.",
      samples: histogramSamples(histograms.syncLatencySeconds),
    },
    { name: 'queue_size_bytes', type: 'gauge', help: 'Size of the queue file.', samples: [{ value: queue.size }] },
    { name: 'queue_offset_bytes', type: 'gauge', help: 'Read offset in the queue file: size minus offset is not read yet.', samples: [{ value: queue.offset }] },
    { name: 'inotify_watches', type: 'gauge', help: "inotify watches held by the daemon's inotifywait processes (counted at most every 30 s).", samples: status.watchCount === undefined ? [] : [{ value: status.watchCount }] },
    { name: 'inotify_max_user_watches', type: 'gauge', help: 'fs.inotify.max_user_watches: the per-user limit the watches count against.', samples: status.watchLimit === undefined ? [] : [{ value: status.watchLimit }] },
    {
      name: 'watch_limit_reached',
      type: 'gauge',
      help: 'Per watched root: 1 while directories under it have no watch because the inotify watch limit was reached after start-up (they are checked with csync2 -cr every 30 s meanwhile), else 0.',
      samples: status.watchedRoots.map((root) => ({ labels: { root }, value: (status.watchLimitReached ?? []).some((reached) => reached.root === root) ? 1 : 0 })),
    },
    {
      name: 'unwatched_directories',
      type: 'gauge',
      help: 'Directories under the root that no inotify watch covers, as last counted while the watch limit is reached.',
      samples: (status.watchLimitReached ?? []).flatMap((reached) => (reached.unwatchedDirectories === undefined ? [] : [{ labels: { root: reached.root }, value: reached.unwatchedDirectories }])),
    },
  ];
}

/** The snapshot in Prometheus' text exposition format 0.0.4, as node_exporter's textfile collector reads it. */
export function renderMetrics(status: DaemonStatus): string {
  const lines: string[] = [];
  for (const family of families(status)) {
    if (family.samples.length === 0) continue;
    const name = `${PREFIX}${family.name}`;
    lines.push(`# HELP ${name} ${escapeHelp(family.help)}`, `# TYPE ${name} ${family.type}`);
    for (const sample of family.samples) lines.push(`${name}${sample.suffix ?? ''}${formatLabels(sample.labels)} ${formatValue(sample.value)}`);
  }
  return `${lines.join('\n')}\n`;
}

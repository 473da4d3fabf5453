import { decodePrefix } from '../config/prefix-path.js';
import type { SyncScope } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { BatchReader } from '../batch/batch-reader.js';
import type { SyncMetrics } from '../metrics/sync-metrics.js';
import type { ChildProcesses } from '../process/child-processes.js';
import type { QueueFile } from '../queue/queue-file.js';
import { defaultArgumentBudget } from '../sync/argument-chunks.js';
import { probeCsync2 } from '../sync/csync2-capabilities.js';
import { Csync2Client, type CheckGate } from '../sync/csync2-client.js';
import type { IncomingRsync } from '../sync/incoming-rsync.js';
import { probeRsyncArgProtection } from '../sync/rsync-capabilities.js';
import { RsyncSender } from '../sync/rsync-sender.js';
import { SyncEngine } from '../sync/sync-engine.js';
import type { ResolvedOptions } from './daemon-options.js';
import { SyncLoop, type SyncLoopOptions } from '../loop/sync-loop.js';

export interface SyncPipelineParts {
  options: ResolvedOptions;
  /** The scope at start (the engine's peers); `currentScope` follows reloads. */
  scope: SyncScope;
  currentScope: () => SyncScope | undefined;
  children: ChildProcesses;
  log: Logger;
  queue: QueueFile;
  reader: BatchReader;
  incoming: IncomingRsync;
  /** The daemon's own server's gate, when it runs one. */
  gate: CheckGate | undefined;
  metrics: SyncMetrics;
  onSynced: NonNullable<SyncLoopOptions['onSynced']>;
  onIdle: () => void;
}

export interface SyncPipeline {
  client: Csync2Client;
  engine: SyncEngine;
  loop: SyncLoop;
}

/** The queue reader's side of the pipeline: the loop over the queue, the engine driving csync2, rsync for large batches. */
export async function buildSyncPipeline(parts: SyncPipelineParts): Promise<SyncPipeline> {
  const { options, scope, children, log, queue, metrics } = parts;
  const client = new Csync2Client({
    children,
    log: log.withTag('csync2'),
    passThrough: options.csync2.passThrough,
    timeoutMs: options.csync2TimeoutMs,
    fullSyncTimeoutMs: options.fullSyncTimeoutMs,
    argumentBudget: defaultArgumentBudget(),
    capabilities: await probeCsync2({ children }),
    gate: parts.gate,
  });
  const rsync = options.rsyncThreshold !== undefined && scope.pushes
    ? new RsyncSender({
      children,
      log: log.withTag('rsync'),
      csync2: client,
      scope: parts.currentScope,
      target: options.rsyncTarget,
      rsh: options.rsyncRsh,
      maxParallel: options.maxParallelPeers,
      timeoutMs: options.csync2TimeoutMs,
      argProtection: await probeRsyncArgProtection({ children }),
    })
    : undefined;
  const engine = new SyncEngine({
    client,
    watchRoots: () => parts.currentScope()?.watchRoots ?? [],
    incoming: parts.incoming,
    peers: scope.peers,
    pushes: scope.pushes,
    parallelUpdates: options.parallelUpdates,
    maxWaitMs: options.maxWaitMs,
    log: log.withTag('sync'),
    rsync,
    onPeerUpdated: (peer, startedAt, endedAt) => metrics.delivery.peerUpdated(peer, startedAt, endedAt),
    onStalePath: (name) => {
      const path = decodePrefix(name, parts.currentScope()?.prefixes ?? {});
      if (path?.startsWith('/')) queue.append(path);
    },
  });
  const loop = new SyncLoop({
    queue,
    reader: parts.reader,
    engine,
    log: log.withTag('sync'),
    settings: {
      checkIntervalMs: options.checkIntervalMs,
      fullSyncIntervalMs: options.fullSyncIntervalMs,
      numLinesUntilReset: options.numLinesUntilReset,
      numBatchedChangesThreshold: options.numBatchedChangesThreshold,
      rsyncThreshold: options.rsyncThreshold,
      gatherMs: Math.min(options.checkIntervalMs, 20),
    },
    onSynced: parts.onSynced,
    // The loop is the only caller of checks: the engine's last one is this batch's. A batch
    // that marked nothing (a peer's change echoed back) has nothing to deliver and is not measured.
    onBatchChecked: ({ oldestAppendAt, paths }) => {
      if (engine.lastCheck.sendsUpdates) metrics.delivery.batchChecked(oldestAppendAt, paths, engine.lastCheck.at);
    },
    onIdle: parts.onIdle,
  });
  return { client, engine, loop };
}

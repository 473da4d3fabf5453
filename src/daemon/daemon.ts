import { EventEmitter } from 'node:events';
import { existsSync, statSync } from 'node:fs';
import {
  createPathMatcher,
  describeScope,
  inotifyExcludeRegex,
  isCsync2TempFile,
  locateCsync2Config,
  readCsync2Config,
  selectScope,
} from '../config/index.js';
import { decodePrefix } from '../config/prefix-path.js';
import type { SyncScope } from '../config/types.js';
import { ConfigError, InotifyCsyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { createBatchReader, type BatchReader } from '../batch/batch-reader.js';
import { ChildProcesses } from '../process/child-processes.js';
import { IdleCollector } from '../process/idle-gc.js';
import { QueueFile } from '../queue/queue-file.js';
import { readBatch } from '../queue/read-batch.js';
import { defaultArgumentBudget } from '../sync/argument-chunks.js';
import { probeCsync2 } from '../sync/csync2-capabilities.js';
import { csync2DatabasePath, sqliteJournalMode } from '../sync/csync2-database.js';
import { Csync2Client } from '../sync/csync2-client.js';
import { Csync2Listener } from '../sync/csync2-listener.js';
import { IncomingRsync } from '../sync/incoming-rsync.js';
import { RsyncSender } from '../sync/rsync-sender.js';
import { SyncEngine } from '../sync/sync-engine.js';
import { SyncMetrics } from '../metrics/sync-metrics.js';
import { countInotifyWatches, WatchCountSampler } from '../status/inotify-watches.js';
import { createEventFilter } from '../watch/event-filter.js';
import { excludeRegexMatcher } from '../watch/exclude-test.js';
import { WatchLimitError } from '../watch/inotify-watcher.js';
import { countWatchedDirectories, readMaxUserWatches, watchLimitMessage } from '../watch/watch-limit.js';
import { RenamedDirectories } from '../watch/renamed-directories.js';
import { InstanceLock, lockFilePath } from './instance-lock.js';
import { CoalescedRun } from './coalesced-run.js';
import type { ResolvedOptions } from './daemon-options.js';
import { requireBinaries } from './preflight.js';
import { SyncLoop } from './sync-loop.js';
import { EventIntake } from '../watch/event-intake.js';
import { WatchSupervisor } from './watch-supervisor.js';
import { takeStatusSnapshot, type DaemonStatus } from './status-snapshot.js';

/** lsyncd-style explicit state: what the daemon is doing now. */
export type DaemonState = DaemonStatus['state'];

/** What the daemon tells observers (systemd notify, the status file, progress logging). */
export interface DaemonEvents {
  state: [DaemonState];
  /** A start-up step or a long operation, for progress lines and STATUS=. */
  progress: [string];
  /** A batch or a full sync finished. */
  synced: [{ kind: 'batch' | 'full-sync'; paths: number; ms: number; ok: boolean }];
}

/** Options each `csync2 -i` session gets, taken from the user's csync2 options. */
function sessionArgs(options: ResolvedOptions): string[] {
  const { csync2 } = options;
  return [
    '-N', csync2.host,
    ...(csync2.database ? ['-D', csync2.database] : []),
    ...(csync2.configName ? ['-C', csync2.configName] : []),
  ];
}

/**
 * Wires the pipeline (inotifywait -> filter -> queue file -> reader -> batch ->
 * csync2) and owns its lifecycle: start-up, the running loop, reload on
 * SIGHUP and draining on SIGTERM. It throws typed errors; the CLI sets exit codes.
 */
export class Daemon extends EventEmitter<DaemonEvents> {
  private currentState: DaemonState = 'starting';
  scope: SyncScope | undefined;
  private readonly children = new ChildProcesses();
  private readonly queue: QueueFile;
  private readonly lock: InstanceLock;
  private readonly reader: BatchReader;
  private server: Csync2Listener | undefined;
  private watchers: WatchSupervisor | undefined;
  /** Watchers of a reload while they set up: a stop meanwhile ends them too. */
  private settingUp: WatchSupervisor | undefined;
  /** SIGHUP reloads, one at a time; a burst during one gives one more. */
  private readonly reloads = new CoalescedRun(() => this.reload());
  /** A SIGHUP came during start-up: reload once the daemon runs. */
  private reloadAfterStart = false;
  private loop: SyncLoop | undefined;
  private engine: SyncEngine | undefined;
  private loopDone: Promise<void> | undefined;
  /** Gives the memory of a busy spell back once idle. */
  private readonly idleCollector = new IdleCollector();
  /** When a peer's rsync last wrote into the tree: local checks wait for its csync2 update. */
  private readonly incoming: IncomingRsync;
  private stopPromise: Promise<void> | undefined;
  /** Renamed directories, checked again as subtrees once renames settle. */
  private readonly renamed = new RenamedDirectories({
    recheck: (path) => this.queue.append(path),
    areaGone: (path) => this.loop?.requestFullSync(`directories were renamed (${path} is gone)`),
  });
  /** The peers this node sends updates to (none when it is read-only in all its groups). */
  private updatedPeers: string[] = [];
  private readonly metrics = new SyncMetrics(() => this.updatedPeers);
  private readonly watchCounts = new WatchCountSampler(() => countInotifyWatches(process.pid, '/proc', this.children.pids()));
  /** What each inotify event means: queued paths, overflows, renames, peers' deliveries. */
  private readonly intake: EventIntake;
  readonly startedAt = Date.now();

  constructor(
    readonly options: ResolvedOptions,
    private readonly log: Logger,
  ) {
    super();
    this.incoming = new IncomingRsync({
      roots: () => this.scope?.watchRoots ?? [],
      sessionsServed: () => this.server?.sessionsServed,
      maxHoldMs: options.maxWaitMs,
    });
    this.queue = new QueueFile(options.queueFile, log.withTag('queue'), {
      onAppend: () => this.loop?.notifyAppend(),
      onNeedFullSync: (reason) => this.loop?.requestFullSync(reason),
    });
    this.lock = new InstanceLock(lockFilePath(options.queueFile));
    this.reader = createBatchReader(options.mode);
    this.intake = new EventIntake({
      append: (path) => this.queue.append(path),
      noticeTransfer: () => this.incoming.notice(),
      noteRename: (area) => this.renamed.noteRename(area),
      requestFullSync: (reason, settleMs) => this.loop?.requestFullSync(reason, settleMs),
      fullSyncPending: () => this.loop?.fullSyncPending !== undefined,
      log: this.log.withTag('inotify'),
    });
  }

  /** Reads csync2's configuration and derives what this host watches and syncs. */
  async loadScope(): Promise<SyncScope> {
    const { options } = this;
    const file = locateCsync2Config({ config: options.config, configName: options.csync2.configName, env: process.env });
    const config = await readCsync2Config(file);
    const scope = selectScope(config, { host: options.csync2.host, groups: options.csync2.groups });
    for (const root of scope.watchRoots) {
      if (!existsSync(root)) {
        throw new ConfigError(`include path ${root} (from ${file}) does not exist: create it, or fix the include in ${file}`);
      }
      if (!statSync(root).isDirectory()) {
        throw new ConfigError(`include path ${root} (from ${file}) is not a directory: inotify-csync watches directories`);
      }
    }
    return scope;
  }

  /** Starts everything and runs the start-up full sync; resolves when the daemon is running. */
  async start(): Promise<void> {
    const { options, log } = this;
    log.info(`SETTINGS: check_interval=${options.checkIntervalMs / 1000}s full_sync_interval=${options.fullSyncIntervalMs / 1000}s num_lines_until_reset=${options.numLinesUntilReset} num_batched_changes_threshold=${options.numBatchedChangesThreshold} rsync_threshold=${options.rsyncThreshold ?? 'disabled'} parallel_updates=${options.parallelUpdates ? 1 : 0} max_wait_time=${options.maxWaitMs / 1000}s mode=${options.mode} queue=${options.queueFile}`);
    requireBinaries(['inotifywait', 'csync2', ...(options.rsyncThreshold !== undefined ? ['rsync'] : [])]);
    const scope = await this.loadScope();
    this.scope = scope;
    for (const line of describeScope(scope)) log.withTag('config').info(`CONFIG: ${line}`);

    this.queue.prepareDirectory();
    const diedPid = await this.lock.acquire(options.csync2.host);
    // A daemon killed mid-batch may have had csync2 clear a dirty entry the peer never got:
    // its queue still names what it was sending, so those paths are sent again.
    const unfinished = diedPid === undefined ? [] : this.unfinishedPaths();
    this.queue.open();

    if (options.runServer) await this.startServer();

    const client = new Csync2Client({
      children: this.children,
      log: log.withTag('csync2'),
      passThrough: options.csync2.passThrough,
      timeoutMs: options.csync2TimeoutMs,
      argumentBudget: defaultArgumentBudget(),
      capabilities: await probeCsync2({ children: this.children }),
      gate: this.server?.gate,
    });

    const rsync = options.rsyncThreshold !== undefined && scope.pushes
      ? new RsyncSender({
        children: this.children,
        log: log.withTag('rsync'),
        csync2: client,
        scope: () => this.scope,
        target: options.rsyncTarget,
        rsh: options.rsyncRsh,
        maxParallel: options.maxParallelPeers,
        timeoutMs: options.csync2TimeoutMs,
      })
      : undefined;
    const engine = (this.engine = new SyncEngine({
      client,
      watchRoots: () => this.scope?.watchRoots ?? [],
      incoming: this.incoming,
      peers: scope.peers,
      pushes: scope.pushes,
      parallelUpdates: options.parallelUpdates,
      maxWaitMs: options.maxWaitMs,
      log: log.withTag('sync'),
      rsync,
      onPeerUpdated: (peer, startedAt, endedAt) => this.metrics.delivery.peerUpdated(peer, startedAt, endedAt),
      onStalePath: (name) => {
        const path = decodePrefix(name, this.scope?.prefixes ?? {});
        if (path?.startsWith('/')) this.queue.append(path);
      },
    }));
    this.updatedPeers = scope.pushes ? engine.peers.map((peer) => peer.name) : [];
    if (!scope.pushes) log.info('CONFIG: this host is read-only in all its groups: it receives updates and never runs csync2 -u');
    this.loop = new SyncLoop({
      queue: this.queue,
      reader: this.reader,
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
      onSynced: (info) => {
        this.metrics.synced(info);
        this.emit('synced', info);
      },
      // The loop is the only caller of checks: the engine's last one is this batch's. A batch
      // that marked nothing (a peer's change echoed back) has nothing to deliver and is not measured.
      onBatchChecked: ({ oldestAppendAt, paths }) => {
        if (engine.lastCheck.sendsUpdates) this.metrics.delivery.batchChecked(oldestAppendAt, paths, engine.lastCheck.at);
      },
      onIdle: () => {
        if (this.idleCollector.idle()) log.debug(`idle: full garbage collection, JS heap now ${(process.memoryUsage().heapTotal / 1048576).toFixed(1)} MB`);
      },
    });

    this.watchers = await this.withProgress('setting up watches', this.startWatchers(scope));
    // The watchers already run, so nothing changed from here on is missed (DESIGN.md step 4).
    const loop = this.loop;
    await this.withProgress('running the start-up full sync', loop.fullSync('start-up'));
    if (unfinished.length > 0) {
      log.withTag('sync').info(`RECOVERY: the previous daemon (PID ${diedPid}) did not stop cleanly; sending its ${unfinished.length} last queued paths again`);
      const existing = unfinished.filter((path) => existsSync(path));
      if (existing.length > 0) await client.markDirty(existing);
      engine.requestUpdates();
    }
    await engine.settled();
    this.adviseJournalMode();
    this.state = 'running';
    this.loopDone = this.loop.run();
    log.info(`running: watching ${scope.watchRoots.length} root(s) for ${scope.peers.length} peer(s)`);
    if (this.reloadAfterStart) {
      this.reloadAfterStart = false;
      void this.requestReload('the SIGHUP during start-up');
    }
  }

  /** csync2's sessions, updates and checks share one SQLite file: in WAL mode readers stop blocking its writer. */
  private adviseJournalMode(): void {
    const { host, database, configName } = this.options.csync2;
    const path = csync2DatabasePath(host, database, configName);
    if (path === undefined || sqliteJournalMode(path) !== 'rollback') return;
    this.log.withTag('config').info(`csync2's database ${path} uses SQLite's rollback journal; with every node writing, WAL mode shortens csync2's lock waits (README, "Several nodes writing"): switch it once with sqlite3 ${path} 'PRAGMA journal_mode=WAL;'`);
  }

  /** Start-up on a large tree takes time: say what runs, and every 5 s how long so far. */
  private async withProgress<T>(label: string, work: Promise<T>): Promise<T> {
    const started = Date.now();
    this.emit('progress', label);
    const timer = setInterval(() => {
      const message = `still ${label} (${Math.round((Date.now() - started) / 1000)} s so far)`;
      this.log.info(message);
      this.emit('progress', message);
    }, 5000);
    try {
      return await work;
    } finally {
      clearInterval(timer);
    }
  }

  /** The distinct paths in the queue file a dead daemon left (at most one reset's worth). */
  private unfinishedPaths(): string[] {
    try {
      return readBatch(this.queue.path, 0, this.options.numLinesUntilReset).paths;
    } catch {
      return [];
    }
  }

  /** This node's csync2 server: the daemon accepts peers' connections and runs `csync2 -i` on each (SessionGate). */
  private async startServer(): Promise<void> {
    const log = this.log.withTag('server');
    this.server = new Csync2Listener({
      children: this.children,
      log,
      host: this.options.csync2.host,
      port: Number(this.options.csync2.port ?? 30865),
      sessionArgs: sessionArgs(this.options),
    });
    await this.server.start();
    log.info(`SERVER: accepting csync2 peers on ${this.server.listening}, one csync2 -i ${sessionArgs(this.options).join(' ')} per connection`);
  }

  /** Starts watchers on the scope's roots; on failure none of them is left running. */
  private async startWatchers(scope: SyncScope): Promise<WatchSupervisor> {
    const log = this.log.withTag('inotify');
    const matcher = createPathMatcher(scope);
    // Each set of watchers keeps its own filter: during a reload the old set still reports under the old rules.
    const filter = createEventFilter({ isIncluded: matcher, isTempFile: isCsync2TempFile });
    const excludeRegex = inotifyExcludeRegex(scope);
    log.info(`INOTIFY: setting up watches on ${scope.watchRoots.join(', ')}${excludeRegex ? ` (not watching ${excludeRegex})` : ''}`);
    const started = Date.now();
    const watchers = new WatchSupervisor({
      roots: scope.watchRoots,
      excludeRegex,
      children: this.children,
      log,
      onEvent: (event) => this.intake.take(event, filter, scope.watchRoots),
      onRestarted: (root) => this.loop?.requestFullSync(`inotifywait on ${root} was restarted`),
      onRepaired: (dir) => this.queue.append(dir),
    });
    this.settingUp = watchers;
    try {
      await watchers.start();
    } catch (error) {
      // The roots that did start must not run on unowned (they would double every event).
      await watchers.stop();
      // Never half-blind: inotifywait -r exits when the kernel's watch limit is reached
      // while it sets up, and the daemon stops with the count and the fix. (Counting the
      // directories before would read every directory of the tree once more: 0.2 s at
      // start-up on 170,000 files.)
      if (!(error instanceof WatchLimitError)) throw error;
      const directories = countWatchedDirectories(scope.watchRoots, excludeRegexMatcher(excludeRegex), 10_000_000);
      throw new WatchLimitError(watchLimitMessage(directories, readMaxUserWatches()), { cause: error });
    } finally {
      if (this.settingUp === watchers) this.settingUp = undefined;
    }
    log.info(`INOTIFY: watches established in ${((Date.now() - started) / 1000).toFixed(1)} s`);
    return watchers;
  }

  /**
   * SIGHUP: rereads csync2's configuration. Never rejects: reloads run one at
   * a time, a SIGHUP during one queues one more, and a SIGHUP during start-up
   * is applied once the daemon runs. Each case is one log line.
   */
  requestReload(why = 'SIGHUP'): Promise<void> {
    const log = this.log.withTag('config');
    if (this.state === 'starting') {
      if (!this.reloadAfterStart) log.info('SIGHUP during start-up: the configuration is reread once start-up is done');
      this.reloadAfterStart = true;
      return Promise.resolve();
    }
    if (this.state !== 'running') {
      log.info(`SIGHUP while ${this.state}: no reload`);
      return Promise.resolve();
    }
    const { outcome, done } = this.reloads.request();
    if (outcome === 'started') log.info(`${why}: rereading the csync2 configuration`);
    else if (outcome === 'queued') log.info(`${why} while a reload runs: the configuration is reread once more after it`);
    else log.info(`${why} while a reload runs: a reread after it is already due`);
    return done;
  }

  /** One reload: the new watchers start before the old ones stop; on any failure the old scope and watchers stay. */
  private async reload(): Promise<void> {
    const log = this.log.withTag('config');
    try {
      const scope = await this.loadScope();
      if (this.state !== 'running') return;
      const watchers = await this.startWatchers(scope);
      if (this.state !== 'running') {
        await watchers.stop();
        return;
      }
      const old = this.watchers;
      this.watchers = watchers;
      this.scope = scope;
      await old?.stop();
      log.info('CONFIG: reloaded on SIGHUP');
      for (const line of describeScope(scope)) log.info(`CONFIG: ${line}`);
      this.loop?.requestFullSync('configuration reloaded');
    } catch (error) {
      // A stop during the reload ended its watchers: no news.
      if (this.state !== 'running') return;
      log.error(`reload refused, the old configuration stays in force: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Drains: stops the watchers, lets a running csync2 call finish (bounded), stops the server and every child. */
  stop(graceMs = 30_000): Promise<void> {
    this.stopPromise ??= this.doStop(graceMs);
    return this.stopPromise;
  }

  private async doStop(graceMs: number): Promise<void> {
    const log = this.log;
    const wasRunning = this.state === 'running';
    this.state = 'draining';
    if (wasRunning) log.info('stopping: draining');
    await Promise.all([this.watchers?.stop(), this.settingUp?.stop()]);
    this.loop?.stop();
    this.renamed.stop();
    if (this.loopDone) {
      // The running batch and the peers' running updates may finish (bounded); no new update starts.
      const work = this.loopDone.then(async () => {
        this.engine?.stop();
        await this.engine?.settled();
      });
      const finished = await Promise.race([
        work.then(() => true),
        new Promise<boolean>((resolve) => setTimeout(() => resolve(false), graceMs).unref()),
      ]);
      if (!finished) log.warn(`a csync2 call still ran after ${graceMs / 1000} s; ending it`);
    }
    this.engine?.stop();
    await this.server?.stop();
    await this.children.stopAll(3000);
    await this.reader.close();
    try {
      this.queue.close();
    } catch {
      // the queue may never have been opened
    }
    this.lock.release();
    this.state = 'stopped';
    if (wasRunning) log.info('stopped');
  }

  get state(): DaemonState {
    return this.currentState;
  }

  set state(next: DaemonState) {
    if (next === this.currentState) return;
    this.currentState = next;
    this.emit('state', next);
  }

  /** What `status` shows, taken now. */
  snapshot(): DaemonStatus {
    return takeStatusSnapshot({
      host: this.options.csync2.host,
      state: this.state,
      startedAt: this.startedAt,
      watchedRoots: this.scope?.watchRoots ?? [],
      watchCount: this.watchCounts.sample(Date.now()),
      queue: this.queue,
      loop: this.loop,
      intake: this.intake,
      peers: this.engine?.peers ?? [],
      metrics: this.metrics,
    });
  }
}

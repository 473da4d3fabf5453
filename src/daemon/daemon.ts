import { dirname } from 'node:path';
import { EventEmitter } from 'node:events';
import { describeScope } from '../config/index.js';
import type { SyncScope } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import { createBatchReader, type BatchReader } from '../batch/batch-reader.js';
import { ChildProcesses } from '../process/child-processes.js';
import { IdleCollector } from '../process/idle-gc.js';
import { QueueFile } from '../queue/queue-file.js';
import { csync2DatabasePath, databaseBackend, journalModeAdvice, redactDatabase } from '../sync/csync2-database.js';
import type { Csync2Listener } from '../sync/csync2-listener.js';
import { IncomingRsync } from '../sync/incoming-rsync.js';
import { rsyncTrustFor } from '../sync/trusted-rsync.js';
import type { SyncEngine } from '../sync/sync-engine.js';
import { SyncMetrics } from '../metrics/sync-metrics.js';
import { countInotifyWatches, WatchCountSampler } from '../status/inotify-watches.js';
import { EventIntake } from '../watch/event-intake.js';
import { RenamedDirectories } from '../watch/renamed-directories.js';
import { InstanceLock, lockFilePath } from './instance-lock.js';
import { CoalescedRun } from './coalesced-run.js';
import { checkHostAddress, startCsync2Server } from './csync2-server.js';
import { recoverDeadQueue } from './crash-recovery.js';
import { hideMysqlPassword, hidePgsqlPassword, redactOwnCommandLine } from './database-password.js';
import { probeDatabase } from '../sync/database-probe.js';
import { prepareMariadbSchema } from '../sync/mariadb-schema.js';
import { settingsLine, type ResolvedOptions } from './daemon-options.js';
import { findOnPath, requireBinaries } from './preflight.js';
import { withProgress } from './progress.js';
import { loadScope } from './scope-loader.js';
import { takeStatusSnapshot, type DaemonStatus } from './status-snapshot.js';
import { buildSyncPipeline } from './sync-pipeline.js';
import type { SyncLoop } from '../loop/sync-loop.js';
import { WatchSets } from '../watch/watch-sets.js';

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
  /** The watchers in force, and a reload's new ones while they set up. */
  private readonly watches: WatchSets;
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
    /** The settings; at start a `-D` password moves out of csync2's command lines (hidePgsqlPassword). */
    public options: ResolvedOptions,
    private readonly log: Logger,
  ) {
    super();
    this.incoming = new IncomingRsync({
      roots: () => this.scope?.watchRoots ?? [],
      trust: rsyncTrustFor(options.rsyncTarget, findOnPath('rsync'), (message) => log.warn(message)),
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
    this.watches = new WatchSets({
      children: this.children,
      log: this.log.withTag('inotify'),
      intake: this.intake,
      onRestarted: (root) => this.loop?.requestFullSync(`inotifywait on ${root} was restarted`),
      onRepaired: (dir) => this.queue.append(dir),
    });
  }

  /** Starts everything and runs the start-up full sync; resolves when the daemon is running. */
  async start(): Promise<void> {
    const { log } = this;
    let { options } = this;
    log.info(settingsLine(options));
    requireBinaries(['inotifywait', 'csync2', ...(options.rsyncThreshold !== undefined ? ['rsync'] : [])]);
    const scope = await loadScope(options);
    this.scope = scope;
    for (const line of describeScope(scope)) log.withTag('config').info(`CONFIG: ${line}`);
    await checkHostAddress(scope);

    this.queue.prepareDirectory();
    const diedPid = await this.lock.acquire(options.csync2.host);
    options = this.options = this.keepDatabasePasswordPrivate(options);
    if (databaseBackend(options.csync2.database) === 'mysql') await this.prepareMariadb(options);
    await probeDatabase({ children: this.children, passThrough: options.csync2.passThrough, database: options.csync2.database });
    log.withTag('config').info(`CONFIG: csync2's database: ${databaseBackend(options.csync2.database)} (${redactDatabase(options.csync2.database) ?? csync2DatabasePath(options.csync2.host, undefined, options.csync2.configName)})`);

    if (options.runServer) this.server = await startCsync2Server(options.csync2, scope, this.children, log.withTag('server'));

    const { client, engine, loop } = await buildSyncPipeline({
      options,
      scope,
      currentScope: () => this.scope,
      children: this.children,
      log,
      queue: this.queue,
      reader: this.reader,
      incoming: this.incoming,
      gate: this.server?.gate,
      metrics: this.metrics,
      onSynced: (info) => {
        this.metrics.synced(info);
        this.emit('synced', info);
      },
      onIdle: () => {
        if (this.idleCollector.idle()) log.debug(`idle: full garbage collection, JS heap now ${(process.memoryUsage().heapTotal / 1048576).toFixed(1)} MB`);
      },
    });
    this.engine = engine;
    this.loop = loop;
    this.updatedPeers = scope.pushes ? engine.peers.map((peer) => peer.name) : [];
    if (!scope.pushes) log.info('CONFIG: this host is read-only in all its groups: it receives updates and never runs csync2 -u');

    const report = { log, progress: (message: string) => this.emit('progress', message) };
    // A daemon killed mid-batch may have had csync2 clear a dirty entry the peer never got:
    // its queue still names what it was sending, so those paths are marked dirty again
    // (read before the file is emptied) and the start-up full sync sends them.
    if (diedPid !== undefined) {
      const recovery = recoverDeadQueue({
        queueFile: this.queue.path,
        diedPid,
        chunkPaths: options.numLinesUntilReset,
        markDirty: (paths) => client.markDirty(paths),
        csync2Args: options.csync2.passThrough,
        log: log.withTag('sync'),
      });
      await withProgress('re-marking the queued paths of the dead daemon', recovery, report);
    }
    this.queue.open();
    this.watches.swap(await withProgress('setting up watches', this.watches.start(scope), report));
    // The watchers already run, so nothing changed from here on is missed (DESIGN.md step 4).
    await withProgress('running the start-up full sync', loop.fullSync('start-up'), report);
    await engine.settled();
    const advice = journalModeAdvice(options.csync2);
    if (advice) log.withTag('config').info(advice);
    this.state = 'running';
    this.loopDone = loop.run();
    log.info(`running: watching ${scope.watchRoots.length} root(s) for ${scope.peers.length} peer(s)`);
    if (this.reloadAfterStart) {
      this.reloadAfterStart = false;
      void this.requestReload('the SIGHUP during start-up');
    }
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
      const scope = await loadScope(this.options);
      if (this.state !== 'running') return;
      const watchers = await this.watches.start(scope);
      if (this.state !== 'running') {
        await watchers.stop();
        return;
      }
      const old = this.watches.swap(watchers);
      this.scope = scope;
      await this.server?.setPeers(scope.sessionPeers);
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
    await this.watches.stop();
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

  /** csync2 2.0 cannot create its own tables on MariaDB (`recursive` is reserved): the daemon creates them first. */
  private async prepareMariadb(options: ResolvedOptions): Promise<void> {
    const { csync2 } = options;
    const prepared = await prepareMariadbSchema({
      children: this.children,
      database: csync2.database as string,
      password: process.env.MYSQL_PWD,
      host: csync2.host,
      configName: csync2.configName,
      privateDir: dirname(options.queueFile),
    });
    this.log.withTag('config').info(`CONFIG: csync2's MariaDB database ${prepared.database} has its tables (created with \`recursive\` quoted)`);
    if (prepared.warning) this.log.withTag('config').warn(prepared.warning);
  }

  /** A password in `-D pgsql://…` goes to a 0600 libpq password file beside the queue, off every command line; the URL gets the user and empty password csync2 needs. */
  private keepDatabasePasswordPrivate(options: ResolvedOptions): ResolvedOptions {
    const hidden = hidePgsqlPassword(options.csync2, dirname(options.queueFile));
    redactOwnCommandLine();
    if (hidden.passFile) {
      process.env.PGPASSFILE = hidden.passFile;
      this.log.withTag('config').info(`CONFIG: the database password of -D is kept in ${hidden.passFile} (0600) for csync2, not on its command lines`);
    }
    const mysql = hideMysqlPassword(hidden.csync2);
    if (mysql.password !== undefined) {
      process.env.MYSQL_PWD = mysql.password;
      this.log.withTag('config').info('CONFIG: the database password of -D is given to csync2 in its environment (MYSQL_PWD), not on its command lines');
    }
    return mysql.csync2 === options.csync2 ? options : { ...options, csync2: mysql.csync2 };
  }

  /** What `status` shows, taken now. */
  snapshot(): DaemonStatus {
    return takeStatusSnapshot({
      host: this.options.csync2.host,
      database: databaseBackend(this.options.csync2.database),
      state: this.state,
      startedAt: this.startedAt,
      watchedRoots: this.scope?.watchRoots ?? [],
      watchCount: this.watchCounts.sample(Date.now()),
      watchLimitReached: this.watches.watchLimitReached(),
      queue: this.queue,
      loop: this.loop,
      intake: this.intake,
      peers: this.engine?.peers ?? [],
      metrics: this.metrics,
      server: this.server,
    });
  }
}

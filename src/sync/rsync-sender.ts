import { lstatSync } from 'node:fs';
import { readCsync2Config } from '../config/locate.js';
import type { Csync2Config, Peer, SyncScope } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { exitOf } from '../process/exit-of.js';
import type { Csync2Client } from './csync2-client.js';
import { saysPeerUnreachable } from './csync2-outcome.js';
import type { PeerHealth } from './peer-health.js';
import { pathsByRoot, peerRoots, relativeTo, type PeerRoot } from './peer-paths.js';
import { parseDirtyList } from './rsync-dirty.js';
import { classifyRsyncExit, rsyncDelivered, type RsyncOutcome } from './rsync-outcome.js';
import { expandRsyncTarget, isDaemonTarget } from './rsync-target.js';

export interface RsyncSenderOptions {
  children: ChildProcesses;
  log: Logger;
  /** Marks the batch dirty (`-cr`) and lists what is dirty for whom (`-M`) first. */
  csync2: Pick<Csync2Client, 'check' | 'run'>;
  /** The daemon's current scope (it changes on SIGHUP). */
  scope: () => SyncScope | undefined;
  /** `--rsync-target`: `{host}`, `{path}`, `{relpath}`, `{module}`. @default '{host}:{path}' */
  target: string;
  /** `--rsync-rsh`, passed as `-e`. */
  rsh?: string;
  /** Peers sent to at once (`--max-parallel-peers`). */
  maxParallel: number;
  /** One rsync run longer than this is ended; csync2 sends the batch instead. */
  timeoutMs: number;
  /**
   * Told which peers `csync2 -M` lists dirty entries for, before rsync runs: the
   * sync loop's own `-cr` then finds nothing new to mark, yet these peers still
   * need their `csync2 -u` to bring csync2's databases up to date.
   */
  onDirty?: (peers: string[]) => void;
  /** Peers csync2 cannot reach right now: rsync would only wait for its timeouts there. */
  isPeerFailing?: (name: string) => boolean;
  /** Reads the configuration the scope came from (tests pass a parsed one). @default readCsync2Config */
  readConfig?: (file: string) => Promise<Csync2Config>;
  env?: NodeJS.ProcessEnv;
}

/** The rsync options for one list of paths: only those paths, deletions included, nothing above the root touched. */
export function rsyncArgs(options: { source: string; target: string; rsh?: string; ioTimeoutS: number }): string[] {
  return [
    // -a without -r: --files-from turns recursion off; listed directories are sent
    // as directories only and their content is left to `csync2 -cr DIR`, so rsync
    // never sends files the excludes keep out, nor deletes a peer's own files.
    '-a',
    '--numeric-ids',
    // A file newer on the peer was changed there: csync2's conflict rules decide, not rsync.
    '--update',
    // A listed path that no longer exists here is deleted there (a removed file, the
    // old name of a move); one that never existed there is ignored, like a vanished
    // temporary file. A non-empty directory is not removed (no --force): csync2 does that.
    '--delete-missing-args',
    '--from0',
    '--files-from=-',
    `--timeout=${options.ioTimeoutS}`,
    ...(isDaemonTarget(options.target) ? [`--contimeout=${options.ioTimeoutS}`] : []),
    ...(options.rsh !== undefined ? ['-e', options.rsh] : []),
    '--',
    options.source,
    options.target,
  ];
}

/**
 * Listed paths that no longer exist here and held other listed paths: directories
 * removed with their content. `depth` is the longest chain of them, one inside another.
 */
export function removedDirectories(paths: readonly string[], exists: (path: string) => boolean = (path) => lstatSync(path, { throwIfNoEntry: false }) !== undefined): { dirs: string[]; depth: number } {
  const missing = new Set(paths.filter((path) => !exists(path)));
  const dirs = new Set<string>();
  for (const path of missing) {
    for (let slash = path.lastIndexOf('/'); slash > 0; slash = path.lastIndexOf('/', slash - 1)) {
      const parent = path.slice(0, slash);
      if (missing.has(parent)) dirs.add(parent);
    }
  }
  let depth = 0;
  for (const dir of dirs) {
    let chain = 1;
    for (let slash = dir.lastIndexOf('/'); slash > 0; slash = dir.lastIndexOf('/', slash - 1)) {
      if (dirs.has(dir.slice(0, slash))) chain++;
    }
    depth = Math.max(depth, chain);
  }
  return { dirs: [...dirs], depth };
}

/** A peer whose last csync2 update could not connect: rsync would only wait for its own timeouts there. */
export function peerUnreachable(peer: Pick<PeerHealth, 'failures' | 'lastError'>): boolean {
  return peer.failures > 0 && saysPeerUnreachable(peer.lastError ?? '');
}

/** The NUL-separated list rsync reads from stdin. */
export function filesFromList(root: string, paths: readonly string[]): Buffer {
  return Buffer.from(paths.map((path) => `${relativeTo(root, path)}\0`).join(''));
}

/**
 * Sends a large batch to every peer with rsync before csync2 marks and updates
 * it (issue "Large batches"): one rsync per peer and include root, peers in
 * parallel. It resolves true only when rsync delivered everything; either way
 * the sync loop runs `csync2 -cr` and the updates next, which then find the
 * files identical and transfer nothing twice.
 */
export class RsyncSender {
  private mapping: { scope: SyncScope; roots: Map<string, PeerRoot[]> } | undefined;
  private readonly told = new Set<string>();

  constructor(private readonly options: RsyncSenderOptions) {}

  /** The LargeBatchSender the sync loop calls. */
  readonly send = async (paths: string[]): Promise<boolean> => {
    const { log } = this.options;
    const scope = this.options.scope();
    if (!scope) return false;
    if (!scope.pushes) {
      this.once('read-only', 'info', 'LARGE BATCH: this host is read-only in all its groups: it never pushes, rsync is not used');
      return false;
    }
    if (scope.peers.length === 0) return true;
    let roots: Map<string, PeerRoot[]>;
    try {
      roots = await this.peerRootsFor(scope);
    } catch (error) {
      log.warn(`LARGE BATCH: cannot read ${scope.configFile} to find the peers' paths (${(error as Error).message}); csync2 sends the batch`);
      return false;
    }
    const dirty = await this.dirtyPaths(paths, scope);
    if (!dirty) return false;
    if (dirty.size > 0) this.options.onDirty?.([...dirty.keys()]);
    const queue = [...scope.peers];
    let delivered = true;
    const worker = async (): Promise<void> => {
      for (let peer = queue.shift(); peer; peer = queue.shift()) {
        const forPeer = dirty.get(peer.name);
        const mine = forPeer ? paths.filter((path) => forPeer.has(path)) : [];
        if (mine.length === 0) continue;
        if (!(await this.sendToPeer(peer, roots.get(peer.name) ?? [], pathsByRoot(mine, scope.watchRoots)))) delivered = false;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.maxParallel, queue.length) }, worker));
    return delivered;
  };

  /**
   * `csync2 -cr` on the batch, then `csync2 -M`: the batch's paths csync2 itself
   * would send, per peer. Undefined when csync2 failed: it then sends the batch alone.
   */
  private async dirtyPaths(paths: string[], scope: SyncScope): Promise<Map<string, Set<string>> | undefined> {
    const { csync2, log } = this.options;
    const check = await csync2.check(paths);
    if (check.outcome.kind !== 'ok') {
      log.warn(`LARGE BATCH: csync2 -cr failed before rsync (${'detail' in check.outcome ? check.outcome.detail : check.outcome.kind}); csync2 sends the batch`);
      return undefined;
    }
    const listed = await csync2.run(['-M'], { listing: true });
    if (listed.outcome.kind === 'empty') return new Map();
    if (listed.outcome.kind !== 'ok') {
      log.warn(`LARGE BATCH: csync2 -M failed (${listed.outcome.detail}); csync2 sends the batch`);
      return undefined;
    }
    return parseDirtyList(listed.stdout, scope.prefixes ?? {});
  }

  private async peerRootsFor(scope: SyncScope): Promise<Map<string, PeerRoot[]>> {
    if (this.mapping?.scope === scope) return this.mapping.roots;
    const config = await (this.options.readConfig ?? ((file) => readCsync2Config(file)))(scope.configFile);
    const roots = new Map(scope.peers.map((peer) => [peer.name, peerRoots(config, scope.host, peer, scope.watchRoots)] as const));
    this.mapping = { scope, roots };
    return roots;
  }

  private async sendToPeer(peer: Peer, roots: PeerRoot[], byRoot: Map<string, string[]>): Promise<boolean> {
    if (this.options.isPeerFailing?.(peer.name)) {
      this.options.log.info(`LARGE BATCH: not sending to ${peer.name} with rsync: csync2 cannot reach it now; csync2 sends the batch when it is back`);
      return false;
    }
    let delivered = true;
    for (const root of roots) {
      const paths = byRoot.get(root.localRoot);
      if (!paths || paths.length === 0) continue;
      if (!(await this.sendRoot(peer, root, paths))) delivered = false;
    }
    return delivered;
  }

  private async sendRoot(peer: Peer, root: PeerRoot, paths: string[]): Promise<boolean> {
    const { log, timeoutMs } = this.options;
    if (root.localRoot === '/' || (root.kind === 'mapped' && root.peerRoot === '/')) {
      this.once(`slash ${peer.name}`, 'warn', `LARGE BATCH: no rsync of an include of / (to ${peer.name}): rsync would run at the top of the file system; csync2 sends it. Include the directories below / instead to use rsync`);
      return false;
    }
    if (root.kind === 'unmapped') {
      this.once(`unmapped ${peer.name} ${root.localRoot}`, 'warn', `LARGE BATCH: no rsync of ${root.localRoot} to ${peer.name}: ${root.reason}; csync2 sends it`);
      return false;
    }
    const target = expandRsyncTarget(this.options.target, { host: peer.name, peerRoot: root.peerRoot, module: root.module });
    const args = rsyncArgs({ source: `${root.localRoot}/`, target, rsh: this.options.rsh, ioTimeoutS: Math.max(5, Math.min(120, Math.round(timeoutMs / 1000))) });
    log.debug(`rsync ${args.join(' ')} < ${paths.length} paths`);
    const started = performance.now();
    let outcome = await this.run(args, filesFromList(root.localRoot, paths));
    // rsync handles a deletion list parent first, so a removed directory is still full
    // when its turn comes and stays behind, empty: one more pass per level of removed
    // directories, listing only them (a peer's own files inside still keep theirs).
    const removed = removedDirectories(paths);
    for (let pass = 0; pass < removed.depth && rsyncDelivered(outcome); pass++) {
      outcome = await this.run(args, filesFromList(root.localRoot, removed.dirs));
    }
    const seconds = ((performance.now() - started) / 1000).toFixed(1);
    this.report(outcome, `${paths.length} paths of ${root.localRoot} to ${peer.name} (${target})`, seconds);
    return rsyncDelivered(outcome);
  }

  private async run(args: string[], input: Buffer): Promise<RsyncOutcome> {
    const { children, timeoutMs, env } = this.options;
    const result = await children.start('rsync', args, {
      env,
      input,
      stdout: 'ignore',
      reject: false,
      timeout: timeoutMs,
      killSignal: 'SIGTERM',
      forceKillAfterDelay: 2000,
      maxBuffer: 16 * 1024 * 1024,
    }, { group: true });
    return classifyRsyncExit(exitOf(result, String(result.stderr ?? '')));
  }

  private report(outcome: RsyncOutcome, what: string, seconds: string): void {
    const { log } = this.options;
    switch (outcome.kind) {
      case 'ok':
        log.info(`LARGE BATCH: rsync sent ${what} in ${seconds} s`);
        return;
      case 'vanished':
        log.info(`LARGE BATCH: rsync sent ${what} in ${seconds} s; some paths vanished meanwhile (${outcome.detail})`);
        return;
      case 'partial':
        log.warn(`LARGE BATCH: rsync sent only part of ${what}: ${outcome.detail}; csync2 sends the rest`);
        return;
      case 'unreachable':
        log.warn(`LARGE BATCH: rsync could not reach the peer for ${what}: ${outcome.detail}; csync2 sends the batch (check --rsync-target and the peer's sshd or rsync daemon)`);
        return;
      case 'timeout':
        log.warn(`LARGE BATCH: rsync of ${what} ${outcome.detail} after ${seconds} s; csync2 sends the batch`);
        return;
      default:
        log.warn(`LARGE BATCH: rsync of ${what} failed: ${outcome.detail}; csync2 sends the batch`);
    }
  }

  /** Logs a standing condition once, not on every batch. */
  private once(key: string, level: 'info' | 'warn', message: string): void {
    if (this.told.has(key)) return;
    this.told.add(key);
    this.options.log[level](message);
  }
}

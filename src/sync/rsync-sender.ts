import { lstatSync } from 'node:fs';
import type { Peer, SyncScope } from '../config/types.js';
import type { Logger } from '../log/logger.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { exitOf } from '../process/exit-of.js';
import type { Csync2Client } from './csync2-client.js';
import { pathsByRoot, peerRoots, relativeTo, type PeerRoot } from './peer-paths.js';
import { argProtectionArgs, needsArgProtection, type RsyncArgProtection } from './rsync-capabilities.js';
import { parseDirtyList } from './rsync-dirty.js';
import { classifyRsyncExit, rsyncDelivered, type RsyncOutcome } from './rsync-outcome.js';
import { expandRsyncTarget, isDaemonTarget } from './rsync-target.js';

export interface RsyncSenderOptions {
  children: ChildProcesses;
  log: Logger;
  /** Lists what is dirty for whom (`csync2 -M`) once the batch is checked. */
  csync2: Pick<Csync2Client, 'run'>;
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
  /** How this rsync keeps a peer path with spaces or shell characters whole (probed once at start). @default 'none' */
  argProtection?: RsyncArgProtection;
  env?: NodeJS.ProcessEnv;
}

/** What one large batch's rsync step did. */
export interface RsyncDelivery {
  /** rsync delivered every path csync2 listed dirty, to every peer (else csync2 sends the rest). */
  delivered: boolean;
  /**
   * Peers `csync2 -M` lists dirty entries for: each needs its `csync2 -u` to
   * bring csync2's databases up to date, even where rsync already sent the files.
   */
  dirtyPeers: string[];
}

const NOT_DELIVERED: RsyncDelivery = { delivered: false, dirtyPeers: [] };

/** The rsync options for one list of paths: only those paths, deletions included, nothing above the root touched. */
export function rsyncArgs(options: { source: string; target: string; rsh?: string; ioTimeoutS: number; argProtection?: RsyncArgProtection }): string[] {
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
    // The peer's path reaches the remote shell: keep spaces and shell characters in it literal.
    ...argProtectionArgs(options.argProtection ?? 'none'),
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

/** The NUL-separated list rsync reads from stdin. */
export function filesFromList(root: string, paths: readonly string[]): Buffer {
  return Buffer.from(paths.map((path) => `${relativeTo(root, path)}\0`).join(''));
}

/**
 * Sends a large batch to every peer with rsync once csync2 has checked it
 * (issue "Large batches"): one rsync per peer and include root, peers in
 * parallel. csync2's updates run next and find the files identical, so
 * nothing is transferred twice; what rsync did not deliver, they send.
 */
export class RsyncSender {
  private readonly told = new Set<string>();

  constructor(private readonly options: RsyncSenderOptions) {}

  /** The checked batch's dirty paths to each peer, except `skip` (peers csync2 cannot reach now). */
  async deliver(paths: readonly string[], skip: ReadonlySet<string> = new Set()): Promise<RsyncDelivery> {
    const scope = this.options.scope();
    if (!scope) return NOT_DELIVERED;
    if (!scope.pushes) {
      this.once('read-only', 'info', 'LARGE BATCH: this host is read-only in all its groups: it never pushes, rsync is not used');
      return NOT_DELIVERED;
    }
    if (scope.peers.length === 0) return { delivered: true, dirtyPeers: [] };
    const dirty = await this.dirtyPaths(scope);
    if (!dirty) return NOT_DELIVERED;
    const queue = [...scope.peers];
    let delivered = true;
    const worker = async (): Promise<void> => {
      for (let peer = queue.shift(); peer; peer = queue.shift()) {
        const forPeer = dirty.get(peer.name);
        const mine = forPeer ? paths.filter((path) => forPeer.has(path)) : [];
        if (mine.length === 0) continue;
        if (skip.has(peer.name)) {
          this.options.log.info(`LARGE BATCH: not sending to ${peer.name} with rsync: csync2 cannot reach it now; csync2 sends the batch when it is back`);
          delivered = false;
          continue;
        }
        if (!(await this.sendToPeer(peer, peerRoots(scope, peer), pathsByRoot(mine, scope.watchRoots)))) delivered = false;
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.options.maxParallel, queue.length) }, worker));
    return { delivered, dirtyPeers: [...dirty.keys()] };
  }

  /** `csync2 -M`: the paths csync2 itself would send, per peer. Undefined when csync2 failed: it then sends the batch alone. */
  private async dirtyPaths(scope: SyncScope): Promise<Map<string, Set<string>> | undefined> {
    const listed = await this.options.csync2.run(['-M'], { listing: true });
    if (listed.outcome.kind === 'empty') return new Map();
    if (listed.outcome.kind !== 'ok') {
      this.options.log.warn(`LARGE BATCH: csync2 -M failed (${listed.outcome.detail}); csync2 sends the batch`);
      return undefined;
    }
    return parseDirtyList(listed.stdout, scope.prefixes ?? {});
  }

  private async sendToPeer(peer: Peer, roots: PeerRoot[], byRoot: Map<string, string[]>): Promise<boolean> {
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
    const argProtection = this.options.argProtection ?? 'none';
    if (argProtection === 'none' && needsArgProtection(target)) {
      this.once(`protect ${target}`, 'warn', `LARGE BATCH: no rsync to ${target}: the peer's shell would split a path with spaces or shell characters, and this rsync's --help lists neither --protect-args nor --old-args (rsync before 3.0); csync2 sends it. Install rsync 3.0 or later to use rsync there`);
      return false;
    }
    const args = rsyncArgs({ source: `${root.localRoot}/`, target, rsh: this.options.rsh, ioTimeoutS: Math.max(5, Math.min(120, Math.round(timeoutMs / 1000))), argProtection });
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

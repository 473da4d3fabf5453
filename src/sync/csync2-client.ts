import type { Logger } from '../log/logger.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { exitOf } from '../process/exit-of.js';
import { chunkArguments } from './argument-chunks.js';
import type { Csync2Capabilities } from './csync2-capabilities.js';
import { classifyCsync2Exit, type Csync2Outcome } from './csync2-outcome.js';
import { IoProgress } from '../process/process-io.js';

export interface Csync2ClientOptions {
  children: ChildProcesses;
  log: Logger;
  /** The user's csync2 options (`-N host -D db -C name ...`), passed unchanged to every call. */
  passThrough: string[];
  env?: NodeJS.ProcessEnv;
  /** A call running longer is ended and counts as failed (retried). */
  timeoutMs: number;
  /** The same for a whole-tree check (`-cr /`, `-x`), which takes longer than any other call. @default timeoutMs */
  fullSyncTimeoutMs?: number;
  /** Bytes of path arguments one call may carry. */
  argumentBudget: number;
  /** What the installed csync2 can do (`-b`, dirty marks at -v). */
  capabilities: Csync2Capabilities;
  /** Keeps checks and the peers' incoming sessions apart (the daemon's own server); checks run through it. */
  gate?: CheckGate;
}

/** Orders this node's checks, its updates and the peers' sessions (SessionGate). */
export interface CheckGate {
  exclusive<T>(work: () => Promise<T>): Promise<T>;
  update<T>(work: () => Promise<T>): Promise<T>;
}

export interface Csync2Run {
  outcome: Csync2Outcome;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Ends `subprocess` once its I/O counters stood still for `idleMs`; `stop()` says whether it did. */
function endWhenIdle(subprocess: { pid?: number | undefined; kill(signal?: NodeJS.Signals): boolean }, idleMs: number): { stop(): boolean } {
  const progress = new IoProgress();
  progress.watch(subprocess.pid);
  let ended = false;
  const timer = setInterval(() => {
    if (progress.idleMs() < idleMs) return;
    ended = true;
    clearInterval(timer);
    subprocess.kill('SIGTERM');
  }, Math.min(500, idleMs));
  timer.unref();
  return {
    stop: () => {
      clearInterval(timer);
      return ended;
    },
  };
}

/** How one csync2 call runs. */
export interface Csync2RunOptions {
  /** A listing (`-M`, `-L`): its exit code 2 means "nothing listed", not a failure. */
  listing?: boolean;
  /** End the call when it made no I/O progress for this long (a peer that does not answer). */
  idleTimeoutMs?: number;
  /** When the call began waiting for the gate: the debug line then says how long it waited. */
  queuedAt?: number;
  /** Instead of the client's timeoutMs. */
  timeoutMs?: number;
}

/** Runs csync2 client commands: argument arrays, a timeout, and every exit code looked up. */
export class Csync2Client {
  constructor(private readonly options: Csync2ClientOptions) {}

  /** A call that reads the tree into the database (`-c`, `-m`): never while a peer's session applies files here. */
  private runCheck(args: readonly string[], timeoutMs?: number): Promise<Csync2Run> {
    const { gate } = this.options;
    if (!gate) return this.run(args, { timeoutMs });
    const queued = performance.now();
    return gate.exclusive(() => this.run(args, { queuedAt: queued, timeoutMs }));
  }

  /** True when checks are kept apart from incoming sessions; `-x` would then hold the gate during its updates. */
  get gated(): boolean {
    return this.options.gate !== undefined;
  }

  async run(args: readonly string[], how: Csync2RunOptions = {}): Promise<Csync2Run> {
    const { listing = false, idleTimeoutMs, queuedAt } = how;
    const { children, passThrough, env, log } = this.options;
    const timeoutMs = how.timeoutMs ?? this.options.timeoutMs;
    const argv = [...passThrough, ...args];
    const started = performance.now();
    log.debug(`csync2 ${argv.length > 12 ? `${argv.slice(0, 12).join(' ')} ... (${argv.length} args)` : argv.join(' ')}`);
    const subprocess = children.start('csync2', argv, {
      env,
      stdin: 'ignore',
      reject: false,
      timeout: timeoutMs,
      killSignal: 'SIGTERM',
      forceKillAfterDelay: 2000,
      maxBuffer: 64 * 1024 * 1024,
      all: true,
    });
    const idle = idleTimeoutMs === undefined ? undefined : endWhenIdle(subprocess, idleTimeoutMs);
    const result = await subprocess;
    const endedIdle = idle?.stop() ?? false;
    const stdout = String(result.stdout ?? '');
    // csync2 prints some errors on stdout (e.g. "Found .../csync2.lock"): classify on both.
    const stderr = String(result.all ?? result.stderr ?? '');
    const outcome: Csync2Outcome = endedIdle
      ? { kind: 'timeout', detail: `no answer: no progress for ${Math.round((idleTimeoutMs ?? 0) / 1000)} s, ended (the peer may be frozen, or its server busy or held by another connection: the peer's own log names the cause)` }
      : classifyCsync2Exit(exitOf(result, stderr), listing);
    const durationMs = performance.now() - started;
    const waited = queuedAt === undefined ? '' : ` after ${Math.round(started - queuedAt)} ms at the gate`;
    log.debug(`csync2 ${args.filter((arg) => arg.startsWith('-')).join(' ')}: ${outcome.kind} in ${Math.round(durationMs)} ms${waited}`);
    return { outcome, stdout, stderr, durationMs };
  }

  /**
   * csync2 prints "Marking file as dirty: NAME" at -v for each file a check
   * marks. A check without such a line is trusted to have marked nothing only
   * for LINBIT's csync2 2.x, or once such a line has been seen (a build that
   * words it differently never skips an update).
   */
  get dirtyReportingConfirmed(): boolean {
    return this.options.capabilities.reportsDirtyMarks || this.sawDirtyMark;
  }

  private sawDirtyMark = false;

  /**
   * `csync2 -v -cr -- PATHS...` in as many calls as the argument limit needs.
   * Returns the paths of failed calls and how many files were marked dirty.
   */
  async check(paths: readonly string[]): Promise<{ outcome: Csync2Outcome; failedPaths: string[]; marked: number }> {
    let firstFailure: Csync2Outcome | undefined;
    const failedPaths: string[] = [];
    let marked = 0;
    const verbose = this.options.passThrough.some((arg) => /^-[a-zA-Z]*v/.test(arg)) ? [] : ['-v'];
    for (const chunk of chunkArguments(paths, this.options.argumentBudget)) {
      const { outcome, stderr } = await this.runCheck([...verbose, '-cr', '--', ...chunk]);
      const count = stderr.match(/^Marking file as dirty: /gm)?.length ?? 0;
      if (count > 0) this.sawDirtyMark = true;
      marked += count;
      if (outcome.kind !== 'ok') {
        firstFailure ??= outcome;
        failedPaths.push(...chunk);
      }
    }
    return { outcome: firstFailure ?? { kind: 'ok' }, failedPaths, marked };
  }

  /** `csync2 -m -- PATHS...`: marks files dirty whatever csync2's database says (split like check); returns the paths of failed calls. */
  async markDirty(paths: readonly string[]): Promise<{ outcome: Csync2Outcome; failedPaths: string[] }> {
    let firstFailure: Csync2Outcome | undefined;
    const failedPaths: string[] = [];
    for (const chunk of chunkArguments(paths, this.options.argumentBudget)) {
      const { outcome } = await this.runCheck(['-m', '--', ...chunk]);
      if (outcome.kind !== 'ok') {
        firstFailure ??= outcome;
        failedPaths.push(...chunk);
      }
    }
    return { outcome: firstFailure ?? { kind: 'ok' }, failedPaths };
  }

  /** `csync2 -cr /`: marks every changed file under every include dirty; it has a timeout of its own. */
  async checkAll(): Promise<Csync2Run> {
    return this.namingFullSyncTimeout(await this.runCheck(['-cr', '/'], this.fullSyncTimeoutMs));
  }

  private get fullSyncTimeoutMs(): number {
    return this.options.fullSyncTimeoutMs ?? this.options.timeoutMs;
  }

  /** A whole-tree call that timed out says after how long, and which option sets it. */
  private namingFullSyncTimeout(run: Csync2Run): Csync2Run {
    if (run.outcome.kind !== 'timeout' || run.outcome.detail.startsWith('no answer')) return run;
    return { ...run, outcome: { kind: 'timeout', detail: `timed out after ${this.fullSyncTimeoutMs / 1000} s (--full-sync-timeout) and was ended` } };
  }

  /**
   * `csync2 -u [-b] -P PEER`, or `csync2 -u` for all peers at once; with
   * `idleTimeoutMs` it is ended when it does no I/O that long (a peer that does
   * not answer); `gated: false` runs it beside this node's checks.
   */
  async update(peer?: string, options: { idleTimeoutMs?: number; gated?: boolean } = {}): Promise<Csync2Run> {
    const args = ['-u'];
    if (peer !== undefined) {
      if (this.options.capabilities.supportsBatchFlag) args.push('-b');
      args.push('-P', peer);
    }
    const gate = options.gated === false ? undefined : this.options.gate;
    if (!gate) return this.run(args, { idleTimeoutMs: options.idleTimeoutMs });
    const queued = performance.now();
    return gate.update(() => this.run(args, { idleTimeoutMs: options.idleTimeoutMs, queuedAt: queued }));
  }

  /** `csync2 -x`: check everything and update all peers. */
  async syncAll(): Promise<Csync2Run> {
    return this.namingFullSyncTimeout(await this.run(['-x'], { timeoutMs: this.fullSyncTimeoutMs }));
  }
}

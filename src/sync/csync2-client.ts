import type { Logger } from '../log/logger.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { chunkArguments } from './argument-chunks.js';
import { classifyCsync2Exit, type Csync2Outcome } from './csync2-outcome.js';

export interface Csync2ClientOptions {
  children: ChildProcesses;
  log: Logger;
  /** The user's csync2 options (`-N host -D db -C name ...`), passed unchanged to every call. */
  passThrough: string[];
  env?: NodeJS.ProcessEnv;
  /** A call running longer is ended and counts as failed (retried). */
  timeoutMs: number;
  /** Bytes of path arguments one call may carry. */
  argumentBudget: number;
  /** The installed csync2 knows `-b` (a fork's option; stock 2.0 answers "invalid option"). */
  supportsBatchFlag: boolean;
}

export interface Csync2Run {
  outcome: Csync2Outcome;
  stdout: string;
  stderr: string;
  durationMs: number;
}

/** Runs csync2 client commands: argument arrays, a timeout, and every exit code looked up. */
export class Csync2Client {
  constructor(private readonly options: Csync2ClientOptions) {}

  async run(args: readonly string[], listing = false): Promise<Csync2Run> {
    const { children, passThrough, env, timeoutMs, log } = this.options;
    const argv = [...passThrough, ...args];
    const started = performance.now();
    log.debug(`csync2 ${argv.length > 12 ? `${argv.slice(0, 12).join(' ')} ... (${argv.length} args)` : argv.join(' ')}`);
    const result = await children.start('csync2', argv, {
      env,
      stdin: 'ignore',
      reject: false,
      timeout: timeoutMs,
      killSignal: 'SIGTERM',
      forceKillAfterDelay: 2000,
      maxBuffer: 64 * 1024 * 1024,
      all: true,
    });
    const stdout = String(result.stdout ?? '');
    // csync2 prints some errors on stdout (e.g. "Found .../csync2.lock"): classify on both.
    const stderr = String(result.all ?? result.stderr ?? '');
    const spawnError = result.failed && result.exitCode === undefined && !result.timedOut && !result.isTerminated
      ? (result.originalMessage ?? result.shortMessage)
      : undefined;
    const outcome = classifyCsync2Exit({ exitCode: result.exitCode, stderr, timedOut: result.timedOut, spawnError }, listing);
    return { outcome, stdout, stderr, durationMs: performance.now() - started };
  }

  /** `csync2 -cr -- PATHS...` in as many calls as the argument limit needs; returns the paths of failed calls. */
  async check(paths: readonly string[]): Promise<{ outcome: Csync2Outcome; failedPaths: string[] }> {
    let firstFailure: Csync2Outcome | undefined;
    const failedPaths: string[] = [];
    for (const chunk of chunkArguments(paths, this.options.argumentBudget)) {
      const { outcome } = await this.run(['-cr', '--', ...chunk]);
      if (outcome.kind !== 'ok') {
        firstFailure ??= outcome;
        failedPaths.push(...chunk);
      }
    }
    return { outcome: firstFailure ?? { kind: 'ok' }, failedPaths };
  }

  /** `csync2 -cr /`: marks every changed file under every include dirty. */
  async checkAll(): Promise<Csync2Run> {
    return this.run(['-cr', '/']);
  }

  /** `csync2 -u [-b] -P PEER`, or `csync2 -u` for all peers at once. */
  async update(peer?: string): Promise<Csync2Run> {
    const args = ['-u'];
    if (peer !== undefined) {
      if (this.options.supportsBatchFlag) args.push('-b');
      args.push('-P', peer);
    }
    return this.run(args);
  }

  /** `csync2 -x`: check everything and update all peers. */
  async syncAll(): Promise<Csync2Run> {
    return this.run(['-x']);
  }
}

import split2 from 'split2';
import type { Logger } from '../log/logger.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { InotifyCsyncError } from '../errors.js';
import { inotifywaitArgs } from './inotifywait-args.js';
import { parseEventRecord, type WatchEvent } from './event-record.js';
import { OverflowGuess, readMaxQueuedEvents } from './overflow-guess.js';
import { unwatchableDirectoryOf } from './watch-limit.js';

export interface InotifyWatcherOptions {
  root: string;
  excludeRegex?: string;
  children: ChildProcesses;
  log: Logger;
  /** Called for every event, in order. */
  onEvent: (event: WatchEvent) => void;
  /** Called once if the process ends after its watches were established, or its root is deleted, moved or unmounted. */
  onExit: (reason: string) => void;
  /** The kernel refused a watch on `dir` (the inotify watch limit) while running: changes under it go unreported. */
  onUnwatchable?: (dir: string) => void;
  /** How long setting up the watches may take before start() fails. @default 10 min */
  setupTimeoutMs?: number;
}

/** Events on a watch's own directory: for the root they mean it is gone; elsewhere the parent's events already tell. */
const SELF_EVENTS = ['DELETE_SELF', 'MOVE_SELF', 'IGNORED', 'UNMOUNT'];
const ROOT_GONE_EVENTS = SELF_EVENTS;

/** inotifywait's message when max_user_watches is too low. */
export const WATCH_LIMIT_PATTERN = /upper limit on inotify watches reached/i;

/** The watch limit was hit while setting up: the daemon must not run half-blind. */
export class WatchLimitError extends InotifyCsyncError {}

/**
 * One `inotifywait --monitor --recursive` process on one root. Its stdout is
 * split on NUL with split2 (bytes kept as latin1 so names that are not UTF-8
 * survive); its stderr tells when the watches are established.
 */
export class InotifyWatcher {
  private subprocess: ReturnType<ChildProcesses['start']> | undefined;
  private stopping = false;
  private readonly stderrTail: string[] = [];
  /** Infers a full kernel queue from the event rate (sized by max_queued_events when this instance starts). */
  private overflowGuess: OverflowGuess | undefined;

  constructor(private readonly options: InotifyWatcherOptions) {}

  get pid(): number | undefined {
    return this.subprocess?.pid;
  }

  /** Starts inotifywait and resolves once it reports "Watches established.". */
  start(): Promise<void> {
    const { root, excludeRegex, children, log } = this.options;
    const args = inotifywaitArgs(root, { excludeRegex });
    // The kernel gives an inotify instance the max_queued_events of the moment it is created.
    this.overflowGuess = new OverflowGuess({ queueLimit: readMaxQueuedEvents() ?? 16_384 });
    log.debug(`inotifywait ${args.join(' ')}`);
    const subprocess = children.start('inotifywait', args, {
      stdin: 'ignore',
      stdout: 'pipe',
      stderr: 'pipe',
      buffer: false,
      reject: false,
    });
    this.subprocess = subprocess;
    subprocess.stdout.setEncoding('latin1');
    subprocess.stdout.pipe(split2('\0', { decodeStrings: false })).on('data', (record: string) => {
      const event = parseEventRecord(Buffer.from(record, 'latin1'));
      if (!event) return;
      this.countForOverflow();
      if (event.path === root && ROOT_GONE_EVENTS.some((name) => event.events.includes(name))) {
        // inotifywait keeps running with no watch left: end it and let the supervisor wait for the root.
        if (!this.stopping) {
          this.stopping = true;
          subprocess.kill('SIGTERM');
          this.options.onExit(`lost its root (${event.events.join(',')})`);
        }
        return;
      }
      if (SELF_EVENTS.some((name) => event.events.includes(name))) return;
      this.options.onEvent(event);
    });

    return new Promise<void>((resolve, reject) => {
      let established = false;
      const setupLines: string[] = [];
      const timer = setTimeout(() => {
        if (established) return;
        reject(new InotifyCsyncError(`inotifywait on ${root} did not establish its watches within ${Math.round((this.options.setupTimeoutMs ?? 600_000) / 1000)} s`));
        subprocess.kill('SIGTERM');
      }, this.options.setupTimeoutMs ?? 600_000);
      subprocess.stderr.pipe(split2()).on('data', (line: string) => {
        this.stderrTail.push(line);
        if (this.stderrTail.length > 20) this.stderrTail.shift();
        if (line.includes('Watches established')) {
          established = true;
          clearTimeout(timer);
          resolve();
          for (const held of setupLines) this.report(held);
        } else if (!line.startsWith('Setting up watches')) {
          // Until the watches stand, a line may be part of a failure that start() reports in one line.
          if (established) this.report(line);
          else setupLines.push(line);
        }
      });
      void subprocess.then((result) => {
        clearTimeout(timer);
        const tail = this.stderrTail.filter((l) => !l.startsWith('Setting up') && !l.includes('Watches established')).join(' ');
        const reason = result.signal
          ? `killed by ${result.signal}`
          : `exited with code ${result.exitCode ?? 'unknown'}${tail ? `: ${tail}` : ''}`;
        if (!established) {
          const message = `inotifywait could not watch ${root}: ${tail || reason}`;
          reject(WATCH_LIMIT_PATTERN.test(tail) ? new WatchLimitError(message) : new InotifyCsyncError(message));
          return;
        }
        if (!this.stopping) this.options.onExit(reason);
      });
    });
  }

  private report(line: string): void {
    const { root, log } = this.options;
    const unwatchable = unwatchableDirectoryOf(line);
    if (unwatchable !== undefined && this.options.onUnwatchable) {
      // The supervisor keeps this as a lasting state and warns once for it, not once per directory.
      log.debug(`inotifywait (${root}): ${line}`);
      this.options.onUnwatchable(unwatchable);
      return;
    }
    // A directory that vanished while inotifywait added its watch is no news: its parent reported it.
    if (/^Couldn't watch .*: No such file or directory$/.test(line)) log.debug(`inotifywait (${root}): ${line}`);
    else log.warn(`inotifywait (${root}): ${line}`);
  }

  /** A queue's worth of events within a second (sliding) means some were probably dropped: a synthetic overflow asks for a full sync. */
  private countForOverflow(): void {
    if (!this.overflowGuess?.note(Date.now())) return;
    this.options.onEvent({ events: ['Q_OVERFLOW'], path: '', validUtf8: true, isDir: false, overflow: true });
  }

  /** Ends the process (SIGTERM, then SIGKILL after `graceMs`: a stopped or stuck one never holds up a stop); no onExit call follows. */
  async stop(graceMs = 3000): Promise<void> {
    this.stopping = true;
    const subprocess = this.subprocess;
    if (!subprocess || subprocess.exitCode !== null || subprocess.signalCode !== null) return;
    subprocess.kill('SIGTERM');
    const timer = setTimeout(() => subprocess.kill('SIGKILL'), graceMs);
    await subprocess;
    clearTimeout(timer);
  }
}

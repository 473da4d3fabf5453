import { execa } from 'execa';
import { spawnFailure } from '../process/exit-of.js';
import type { Logger } from '../log/logger.js';

/** One sd_notify(3) datagram: `KEY=VALUE` assignments, e.g. ['READY=1', 'STATUS=running']. */
export type NotifyMessage = string[];

export interface NotifySenderOptions {
  /** $NOTIFY_SOCKET: a path, or `@name` for an abstract socket. */
  socket: string;
  /** The daemon's PID: the message is sent on its behalf (`--pid`). @default process.pid */
  pid?: number;
  log: Logger;
  /** The sending program. @default 'systemd-notify' */
  command?: string;
  /** A systemd-notify call running longer is ended. @default 5000 */
  timeoutMs?: number;
}

/** A value must stay on one line: sd_notify separates assignments with newlines. */
function oneLine(assignment: string): string {
  return assignment.replace(/[\r\n]+/g, ' ').slice(0, 1000);
}

const onlyKey = (message: NotifyMessage, key: string): boolean => message.length === 1 && message[0]?.startsWith(`${key}=`) === true;

/**
 * The sd_notify protocol without a native addon. Node has no AF_UNIX datagram
 * sockets, so each message is one `systemd-notify --pid=PID KEY=VALUE...` call
 * (argument array, short-lived, ended after a timeout). systemd-notify (v246+)
 * waits until PID 1 has processed the message, and as root sends it with the
 * daemon's PID as credentials; as another user it is sent from its own PID,
 * hence NotifyAccess=all in the unit. Calls run one at a time, so messages
 * arrive in order; a newer STATUS= replaces a queued one and WATCHDOG=1 pings
 * do not pile up behind a slow call.
 */
export class NotifySender {
  private readonly queue: NotifyMessage[] = [];
  private draining: Promise<void> | undefined;
  private disabled = false;
  private lastFailure: string | undefined;

  constructor(private readonly options: NotifySenderOptions) {}

  /** Queues a message; the returned promise settles when it (and everything before it) was handed over. */
  send(message: NotifyMessage): Promise<void> {
    if (this.disabled || message.length === 0) return Promise.resolve();
    const clean = message.map(oneLine);
    const last = this.queue.at(-1);
    if (last && ((onlyKey(clean, 'STATUS') && onlyKey(last, 'STATUS')) || (onlyKey(clean, 'WATCHDOG') && onlyKey(last, 'WATCHDOG')))) {
      this.queue[this.queue.length - 1] = clean;
    } else {
      this.queue.push(clean);
    }
    this.draining ??= this.drain().finally(() => {
      this.draining = undefined;
    });
    return this.draining;
  }

  /** Resolves when every queued message was sent (or given up on). */
  async flush(): Promise<void> {
    while (this.draining) await this.draining;
  }

  private async drain(): Promise<void> {
    for (let message = this.queue.shift(); message; message = this.queue.shift()) {
      if (this.disabled) {
        this.queue.length = 0;
        return;
      }
      await this.deliver(message);
    }
  }

  private async deliver(message: NotifyMessage): Promise<void> {
    const { log } = this.options;
    const command = this.options.command ?? 'systemd-notify';
    const result = await execa(command, [`--pid=${this.options.pid ?? process.pid}`, ...message], {
      env: { NOTIFY_SOCKET: this.options.socket },
      reject: false,
      stdin: 'ignore',
      all: true,
      timeout: this.options.timeoutMs ?? 5000,
    });
    if (result.exitCode === 0) {
      this.lastFailure = undefined;
      return;
    }
    const notRun = spawnFailure(result);
    // A program that never ran for want of the file: asking again cannot help.
    if (/\bENOENT\b/.test(notRun ?? '')) {
      this.disabled = true;
      log.warn(`NOTIFY_SOCKET is set but ${command} is not installed, so systemd gets no READY=1: install systemd's ${command}, or use Type=simple in the unit`);
      return;
    }
    const reason = notRun !== undefined
      ? `it could not be started: ${notRun}`
      : result.timedOut ? `timed out after ${(this.options.timeoutMs ?? 5000) / 1000} s` : `exit code ${result.exitCode ?? result.signal}: ${String(result.all ?? '').trim()}`;
    // One warning per distinct failure: the watchdog would repeat it every few seconds.
    if (reason !== this.lastFailure) log.warn(`${command} ${message.join(' ')} failed (${reason})`);
    this.lastFailure = reason;
  }
}

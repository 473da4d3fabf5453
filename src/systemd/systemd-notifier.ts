import type { Logger } from '../log/logger.js';
import type { DaemonObserver, ObservedDaemon } from '../status/observed-daemon.js';
import { NotifySender } from './notify.js';
import { systemdStatusLine } from './status-line.js';
import { watchdogIntervalMs } from './watchdog.js';

export interface SystemdNotifierOptions {
  log: Logger;
  /** Where NOTIFY_SOCKET and WATCHDOG_USEC are read. @default process.env */
  env?: NodeJS.ProcessEnv;
  /** The sending program. @default 'systemd-notify' */
  command?: string;
  /** Least time between two STATUS= updates. @default 1000 */
  statusGapMs?: number;
  /** How often STATUS= is recomputed without an event (peer backoff, queue growth). @default 5000 */
  refreshMs?: number;
}

/**
 * Tells systemd what the daemon does (Type=notify): READY=1 once the watches
 * are set and the start-up full sync is done, STATUS= lines (at most one a
 * second, only when they change), STOPPING=1 when draining, and WATCHDOG=1
 * from a timer on the main thread, so a blocked event loop stops the pings.
 * Does nothing unless NOTIFY_SOCKET is set.
 */
export function attachSystemdNotifier(daemon: ObservedDaemon, options: SystemdNotifierOptions): DaemonObserver {
  const env = options.env ?? process.env;
  const socket = env.NOTIFY_SOCKET;
  if (!socket) return { close: async () => undefined };
  const watchdogMs = watchdogIntervalMs(env);
  // As sd_notify(unset_environment=1) does: csync2 and inotifywait, started later, must not inherit them.
  delete env.NOTIFY_SOCKET;
  delete env.WATCHDOG_USEC;
  delete env.WATCHDOG_PID;

  const { log } = options;
  const sender = new NotifySender({ socket, log, command: options.command });
  const statusGapMs = options.statusGapMs ?? 1000;
  let progress: string | undefined;
  let lastStatus: string | undefined;
  let lastStatusAt = 0;
  let statusTimer: NodeJS.Timeout | undefined;

  const currentLine = (): string => systemdStatusLine(daemon.snapshot(), progress);
  const sendStatus = (): void => {
    statusTimer = undefined;
    if (daemon.state === 'stopped') return;
    const line = currentLine();
    if (line === lastStatus) return;
    lastStatus = line;
    lastStatusAt = Date.now();
    void sender.send([`STATUS=${line}`]);
  };
  const scheduleStatus = (): void => {
    if (statusTimer) return;
    statusTimer = setTimeout(sendStatus, Math.max(0, lastStatusAt + statusGapMs - Date.now()));
    statusTimer.unref();
  };
  // A state change goes out at once, together with its STATUS=, in one datagram.
  const sendWithStatus = (assignments: string[]): void => {
    clearTimeout(statusTimer);
    statusTimer = undefined;
    lastStatus = currentLine();
    lastStatusAt = Date.now();
    void sender.send([...assignments, `STATUS=${lastStatus}`]);
  };

  const refresh = setInterval(scheduleStatus, options.refreshMs ?? 5000);
  refresh.unref();
  const watchdog = watchdogMs === undefined ? undefined : setInterval(() => void sender.send(['WATCHDOG=1']), watchdogMs);
  watchdog?.unref();
  if (watchdogMs !== undefined) log.debug(`systemd watchdog: pinging every ${watchdogMs} ms`);

  const stopTimers = (): void => {
    clearInterval(refresh);
    clearInterval(watchdog);
    clearTimeout(statusTimer);
    statusTimer = undefined;
  };

  daemon.on('progress', (text) => {
    progress = text;
    scheduleStatus();
  });
  daemon.on('synced', scheduleStatus);
  daemon.on('state', (state) => {
    if (state === 'running') sendWithStatus(['READY=1']);
    else if (state === 'draining') sendWithStatus(['STOPPING=1']);
    else if (state === 'stopped') stopTimers();
  });
  scheduleStatus();

  return {
    async close() {
      stopTimers();
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([sender.flush(), new Promise((resolve) => (timer = setTimeout(resolve, 6000)))]);
      clearTimeout(timer);
    },
  };
}

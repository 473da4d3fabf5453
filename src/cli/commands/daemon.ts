import { Daemon } from '../../daemon/daemon.js';
import type { ResolvedOptions } from '../../daemon/daemon-options.js';
import { createLogger, type Logger } from '../../log/logger.js';
import type { DaemonObserver } from '../../status/observed-daemon.js';
import { attachStatusFile } from '../../status/status-file.js';
import { attachSystemdNotifier } from '../../systemd/systemd-notifier.js';

/** What the command line must end if the start fails: the daemon and its observers, once made. */
export interface Running {
  daemon?: Daemon;
  observers: DaemonObserver[];
}

/** Ends the observers' pending work (systemd's STOPPING=1, the status file) before the process exits. */
export async function closeObservers(observers: DaemonObserver[]): Promise<void> {
  await Promise.all(observers.map((observer) => observer.close()));
}

function installSignals(daemon: Daemon, log: Logger, observers: DaemonObserver[]): void {
  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    log.info(`${signal} received`);
    void daemon.stop().then(() => closeObservers(observers)).then(() => {
      process.exitCode ??= 0;
      process.exit();
    });
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
  // requestReload never rejects and logs each case itself (during start-up, while a reload runs).
  process.on('SIGHUP', () => void daemon.requestReload());
}

/** The default command: starts the daemon with its observers and signal handlers; it runs until a signal ends it. */
export async function runDaemon(options: ResolvedOptions, running: Running): Promise<void> {
  const log = createLogger({ debug: options.debug, format: options.logFormat });
  const daemon = new Daemon(options, log);
  running.daemon = daemon;
  running.observers.push(
    attachStatusFile(daemon, { queueFile: options.queueFile, metricsFile: options.metricsFile, log: log.withTag('status') }),
    attachSystemdNotifier(daemon, { log: log.withTag('systemd') }),
  );
  installSignals(daemon, log, running.observers);
  await daemon.start();
}

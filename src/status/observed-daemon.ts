import type { DaemonEvents, DaemonState } from '../daemon/daemon.js';
import type { DaemonStatus } from '../daemon/status-snapshot.js';

/** What the status file and the systemd notifier need from the daemon: its events and a snapshot. */
export interface ObservedDaemon {
  readonly state: DaemonState;
  snapshot(): DaemonStatus;
  on<K extends keyof DaemonEvents>(event: K, listener: (...args: DaemonEvents[K]) => void): unknown;
}

/** Something attached to the daemon for its lifetime; `close()` finishes pending work before the process exits. */
export interface DaemonObserver {
  close(): Promise<void>;
}

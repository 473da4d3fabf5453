import { hostname } from 'node:os';
import { lockFilePath, lockHeld } from '../../daemon/instance-lock.js';
import type { Csync2Options } from '../../daemon/daemon-options.js';
import { processAlive } from '../../process/process-alive.js';
import { formatStatus } from '../../status/format-status.js';
import { countInotifyWatches } from '../../status/inotify-watches.js';
import { readStatusFile, statusFilePath } from '../../status/status-file.js';
import { defaultQueueFile } from '../options.js';
import type { OptionSpec, OptionsOf } from '../option-table.js';
import type { CommandIo } from './command-io.js';

/** Exit code for "not running", as `systemctl status` returns for a stopped unit. */
export const NOT_RUNNING = 3;

/** `status`'s own options, declared once. */
export const STATUS_OPTIONS = {
  queueFile: { flags: '--queue-file <file>', description: "The daemon's queue file; its status is in FILE.status.json", shown: 'as the daemon chooses it for -N host' },
  json: { flags: '--json', description: 'Print the status snapshot as JSON (also the numbers of --metrics-file)' },
} as const satisfies Record<string, OptionSpec>;

export const STATUS_USAGE = 'status [-N host] [--queue-file FILE] [--json]\n\n  Shows what the running daemon for this host does. Exit code 0 when it runs, 3 when it does not.';

/** `inotify-csync status`: reads the daemon's status file and prints it. Returns the exit code. */
export function runStatus(options: OptionsOf<typeof STATUS_OPTIONS>, csync2: Csync2Options, io: CommandIo): number {
  const host = csync2.host ?? hostname();
  const queueFile = options.queueFile ?? defaultQueueFile(host);
  const path = statusFilePath(queueFile);
  // --json keeps stdout for JSON only; the "not running" line then goes to stderr.
  const notRunning = (why: string): number => {
    const whose = options.queueFile === undefined ? ` for host ${host}` : '';
    (options.json ? io.stderr : io.stdout).write(`inotify-csync is not running${whose}: ${why}\n`);
    return NOT_RUNNING;
  };

  const read = readStatusFile(path);
  if (!read.found) return notRunning(read.reason);
  const { status } = read;
  if (!processAlive(status.pid)) return notRunning(`its PID ${status.pid} has exited (stale status file ${path})`);
  // After a crash and a reboot another process may have the PID: the lock tells.
  if (lockHeld(lockFilePath(queueFile)) === false) return notRunning(`no daemon holds the lock of ${queueFile}; PID ${status.pid} is another process now (stale status file ${path})`);
  if (status.state === 'stopped') return notRunning(`PID ${status.pid} has stopped`);
  // Counted now when this user may read the daemon's /proc entries: the daemon's own count is up to 30 s old.
  status.watchCount = countInotifyWatches(status.pid) ?? status.watchCount;
  io.stdout.write(options.json ? `${JSON.stringify(status, null, 2)}\n` : formatStatus(status, Date.now()));
  return 0;
}

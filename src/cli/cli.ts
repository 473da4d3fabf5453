// First: cac needs CustomEvent, which Node 18 lacks.
import './custom-event.js';
import { cac } from 'cac';
import { hostname } from 'node:os';
import { Daemon } from '../daemon/daemon.js';
import { InotifyCsyncError, UsageError } from '../errors.js';
import { createLogger, type Logger } from '../log/logger.js';
import { addSbinToPath } from '../process/sbin-path.js';
import { attachStatusFile } from '../status/status-file.js';
import type { DaemonObserver } from '../status/observed-daemon.js';
import { attachSystemdNotifier } from '../systemd/systemd-notifier.js';
import { processIo } from './commands/command-io.js';
import { runCommand } from './commands/index.js';
import { VERSION } from '../version.js';
import { resolveOptions, VALUE_OPTIONS, type Options } from './options.js';
import { splitArgv } from './split-argv.js';

function buildCli() {
  const cli = cac('inotify-csync');
  cli.usage('[options] [csync2 options]\n\n  Real-time csync2 sync: watches the include paths of csync2.cfg with inotifywait and\n  runs csync2 for what changed. Every csync2 option (-N host, -D dir, -C name, -G groups,\n  -p port, -v, -B ...) is passed unchanged to every csync2 call, as inotify_csync.sh does.\n\n  Commands (see COMMAND --help):\n    status [-N host] [--queue-file FILE] [--json]   what the running daemon does; exit 3 when it does not run\n    install-systemd [-N host] [--instance]          write the systemd unit and print the enable command');
  cli
    .option('--config <file>', 'csync2 configuration file (default: as csync2 finds it: -C name, $CSYNC2_SYSTEM_DIR, /etc/csync2, /etc)')
    .option('--check-interval <seconds>', 'Least time between two batches while changes keep coming (default: 0.5)')
    .option('--full-sync-interval <seconds>', 'Seconds between periodic full syncs, 0 = never (default: 3600)')
    .option('--num-lines-until-reset <n>', 'Queue records read before the queue file is reset, then a full sync (default: 200000)')
    .option('--num-batched-changes-threshold <n>', 'Distinct paths in one batch that make it a full sync (default: 15000)')
    .option('--rsync-threshold <n>', 'Distinct paths in one batch that send it through rsync first (default: 5000)')
    .option('--disable-rsync', 'Never use rsync for large batches')
    .option('--rsync-target <template>', 'rsync destination per peer and include root: {host} {path} {relpath} {module} (default: {host}:{path}, over ssh)')
    .option('--rsync-rsh <command>', "rsync's remote shell, passed as -e (default: rsync's own, ssh)")
    .option('--parallel-updates <0|1>', '1: one csync2 -u -P PEER per peer at once; 0: one csync2 -u (default: 1)')
    .option('--max-parallel-peers <n>', 'Peer updates running at once (default: 8)')
    .option('--max-wait-time <seconds>', 'Longest a change waits for a busy csync2 server (default: 10)')
    .option('--csync2-timeout <seconds>', 'A csync2 call running longer is ended and retried (default: 600)')
    .option('-m, --mode <mode>', 'async: read batches on the main loop; thread: in a worker thread (default: async)')
    .option('--queue-file <file>', 'The rolling queue file (default: /var/lib/inotify-csync/HOST.queue as root, else ~/.local/state/inotify-csync/HOST.queue)')
    .option('--metrics-file <file.prom>', "Write Prometheus metrics here for node_exporter's textfile collector (atomically, every 5 s and after each sync)")
    .option('--no-server', "Do not start csync2's server (systemd or inetd runs it)")
    .option('--log-format <format>', 'text or json (default: text)')
    .option('--debug', 'Log every csync2 call and server line');
  cli.example('inotify-csync -N host1');
  cli.example('inotify-csync -N host1 -D /var/lib/csync2 --mode thread --debug --disable-rsync');
  cli.help();
  cli.version(VERSION, '--version');
  return cli;
}

/** Ends the observers' pending work (systemd's STOPPING=1, the status file) before the process exits. */
async function closeObservers(observers: DaemonObserver[]): Promise<void> {
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

/** Parses the command line and runs the daemon; the only place that sets the exit code. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  let daemon: Daemon | undefined;
  const observers: DaemonObserver[] = [];
  addSbinToPath();
  try {
    const commandExit = await runCommand(argv, processIo());
    if (commandExit !== undefined) {
      process.exitCode = commandExit;
      return;
    }
    const { own, csync2 } = splitArgv(argv, VALUE_OPTIONS);
    const cli = buildCli();
    const parsed = cli.parse(['node', 'inotify-csync', ...own], { run: false });
    if (parsed.options.help || parsed.options.version) return;
    if (parsed.args.length > 0) throw new UsageError(`unknown command '${parsed.args[0]}': see --help`);
    const { '--': _rest, help: _h, version: _v, m: _m, ...parsedOptions } = parsed.options;
    // cac leaves a dash after a digit (csync2-timeout): camel-case every key the same way.
    const raw = Object.fromEntries(
      Object.entries(parsedOptions)
        .filter(([key]) => !key.includes('-') || !(key.replace(/-([a-z0-9])/g, (_m2, c: string) => c.toUpperCase()) in parsedOptions))
        // An option given twice: the last one wins, as with most tools.
        .map(([key, value]) => [key.replace(/-([a-z0-9])/g, (_m2, c: string) => c.toUpperCase()), Array.isArray(value) ? value.at(-1) : value]),
    );
    const known = new Set(['config', 'checkInterval', 'fullSyncInterval', 'numLinesUntilReset', 'numBatchedChangesThreshold', 'rsyncThreshold', 'parallelUpdates', 'maxWaitTime', 'mode', 'disableRsync', 'debug', 'queueFile', 'metricsFile', 'server', 'logFormat', 'maxParallelPeers', 'csync2Timeout', 'rsyncTarget', 'rsyncRsh']);
    for (const key of Object.keys(raw)) {
      if (!known.has(key)) throw new UsageError(`unknown option --${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}: see --help`);
    }
    for (const [key, value] of Object.entries(raw)) {
      if (value === true && key !== 'disableRsync' && key !== 'debug' && key !== 'server') {
        throw new UsageError(`--${key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)} needs a value: see --help`);
      }
    }
    const options = resolveOptions(raw as Options, csync2, hostname());
    const log = createLogger({ debug: options.debug, format: options.logFormat });
    daemon = new Daemon(options, log);
    observers.push(
      attachStatusFile(daemon, { queueFile: options.queueFile, metricsFile: options.metricsFile, log: log.withTag('status') }),
      attachSystemdNotifier(daemon, { log: log.withTag('systemd') }),
    );
    installSignals(daemon, log, observers);
    await daemon.start();
  } catch (error) {
    const exitCode = error instanceof InotifyCsyncError ? error.exitCode : 1;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`inotify-csync: ${message}\n`);
    if (!(error instanceof InotifyCsyncError) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    if (daemon) await daemon.stop(2000);
    await closeObservers(observers);
    process.exitCode = exitCode;
    process.exit();
  }
}

// First: cac needs CustomEvent, which Node 18 lacks.
import './custom-event.js';
import { cac, type CAC } from 'cac';
import { hostname } from 'node:os';
import type { Csync2Options } from '../daemon/daemon-options.js';
import { InotifyCsyncError, UsageError } from '../errors.js';
import { addSbinToPath } from '../process/sbin-path.js';
import { VERSION } from '../version.js';
import { processIo, type CommandIo } from './commands/command-io.js';
import { closeObservers, runDaemon, type Running } from './commands/daemon.js';
import { INSTALL_SYSTEMD_EXAMPLES, INSTALL_SYSTEMD_OPTIONS, INSTALL_SYSTEMD_USAGE, runInstallSystemd } from './commands/install-systemd.js';
import { runStatus, STATUS_OPTIONS, STATUS_USAGE } from './commands/status.js';
import { addOptions, longName, ownFlags, readOptions } from './option-table.js';
import { DAEMON_OPTIONS, resolveOptions } from './options.js';
import { splitArgv } from './split-argv.js';

const USAGE =
  '[options] [csync2 options]\n\n  Real-time csync2 sync: watches the include paths of csync2.cfg with inotifywait and\n  runs csync2 for what changed. Every csync2 option (-N host, -D dir, -C name, -G groups,\n  -p port, -v, -B ...) is passed unchanged to every csync2 call, as inotify_csync.sh does.\n\n  Commands (see COMMAND --help):\n    status [-N host] [--queue-file FILE] [--json]   what the running daemon does; exit 3 when it does not run\n    install-systemd [-N host] [--instance]          write the systemd unit and print the enable command';

/** What the actions need besides cac's options: csync2's options, split off before cac parses. */
interface Call {
  csync2: Csync2Options;
  io: CommandIo;
  running: Running;
}

/** The command line: the daemon is the default command; `status` and `install-systemd` are named ones. */
export function buildCli(call: Call): CAC {
  const cli = cac('inotify-csync');
  const daemon = addOptions(cli.command(''), DAEMON_OPTIONS).usage(USAGE);
  daemon.example('inotify-csync -N host1').example('inotify-csync -N host1 -D /var/lib/csync2 --mode thread --debug --disable-rsync');
  daemon.action((parsed: Record<string, unknown>) => runDaemon(resolveOptions(readOptions(daemon, DAEMON_OPTIONS, parsed), call.csync2, hostname()), call.running));
  const status = addOptions(cli.command('status'), STATUS_OPTIONS).usage(STATUS_USAGE);
  status.action((parsed: Record<string, unknown>) => runStatus(readOptions(status, STATUS_OPTIONS, parsed), call.csync2, call.io));
  const install = addOptions(cli.command('install-systemd'), INSTALL_SYSTEMD_OPTIONS).usage(INSTALL_SYSTEMD_USAGE);
  for (const example of INSTALL_SYSTEMD_EXAMPLES) install.example(example);
  install.action((parsed: Record<string, unknown>) =>
    runInstallSystemd(readOptions(install, INSTALL_SYSTEMD_OPTIONS, parsed), call.csync2, parsed['--'] as string[], call.io),
  );
  // Each command's help stands alone: its own name on top, no list of the other commands (the usage text has it).
  cli.help((sections) =>
    sections
      .filter((section) => !/^(Commands|For more info)/.test(section.title ?? ''))
      .map((section, index) => (index === 0 && cli.matchedCommand?.name ? { body: `inotify-csync ${cli.matchedCommand.name}` } : section)),
  );
  cli.version(VERSION, '--version');
  return cli;
}

const dashed = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** cac's own checks, worded as this program always has: `unknown option --x`, `--mode needs a value`. */
function usageError(error: unknown, lead: string, see: string): unknown {
  if (!(error instanceof Error) || error.name !== 'CACError') return error;
  const unknown = /^Unknown option `-+(.+)`$/.exec(error.message)?.[1];
  if (unknown !== undefined) return new UsageError(`${lead}unknown option --${dashed(unknown)}: see ${see}`);
  const missing = /^option `(.+)` value is missing$/.exec(error.message)?.[1];
  return new UsageError(missing === undefined ? `${lead}${error.message}: see ${see}` : `${lead}--${longName(missing)} needs a value: see ${see}`);
}

/** Runs the command argv names; resolves to a subcommand's exit code (undefined: the daemon runs, or help was shown). */
export async function runCli(argv: readonly string[], io: CommandIo, running: Running = { observers: [] }): Promise<number | undefined> {
  const call: Call = { csync2: { passThrough: [] }, io, running };
  const cli = buildCli(call);
  const named = cli.commands.find((command) => command.name !== '' && command.name === argv[0]);
  const command = named ?? cli.commands.find((each) => each.isDefaultCommand) ?? cli.globalCommand;
  const args = named ? argv.slice(1) : argv;
  // install-systemd hands what follows -- to the daemon's ExecStart= unread.
  const dashes = named?.name === 'install-systemd' ? args.indexOf('--') : -1;
  const { own, csync2 } = splitArgv(dashes === -1 ? args : args.slice(0, dashes), ownFlags(cli, command));
  call.csync2 = csync2;
  cli.parse(['node', 'inotify-csync', ...(named ? [named.name] : []), ...own, ...(dashes === -1 ? [] : args.slice(dashes))], { run: false });
  if (!cli.matchedCommand) return named ? 0 : undefined;
  const [lead, see] = named ? [`${named.name}: `, `${named.name} --help`] : ['', '--help'];
  // cac reads an empty first argument as the default command's own name ('').
  const stray = !named && own[0] === '' ? '' : cli.args[0];
  if (stray !== undefined) throw new UsageError(named ? `${lead}unexpected argument '${stray}': see ${see}` : `unknown command '${stray}': see --help`);
  // --version is the daemon's: cac would let a subcommand ignore it.
  if (named && cli.options.version) throw new UsageError(`${lead}unknown option --version: see ${see}`);
  try {
    return (await cli.runMatchedCommand()) as number | undefined;
  } catch (error) {
    throw usageError(error, lead, see);
  }
}

/** Parses the command line and runs the daemon or a subcommand; the only place that sets the exit code. */
export async function main(argv: string[] = process.argv.slice(2)): Promise<void> {
  const running: Running = { observers: [] };
  addSbinToPath();
  try {
    const exitCode = await runCli(argv, processIo(), running);
    if (exitCode !== undefined) process.exitCode = exitCode;
  } catch (error) {
    const exitCode = error instanceof InotifyCsyncError ? error.exitCode : 1;
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`inotify-csync: ${message}\n`);
    if (!(error instanceof InotifyCsyncError) && error instanceof Error && error.stack) process.stderr.write(`${error.stack}\n`);
    if (running.daemon) await running.daemon.stop(2000);
    await closeObservers(running.observers);
    process.exitCode = exitCode;
    process.exit();
  }
}

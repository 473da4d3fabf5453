// The subcommands parse with cac, which needs CustomEvent (Node 18 lacks it).
import '../custom-event.js';
import type { CommandIo } from './command-io.js';
import { runInstallSystemd } from './install-systemd.js';
import { runStatus } from './status.js';

/** Subcommands, chosen by the first argument; the daemon itself is the default command. */
const COMMANDS: Record<string, (argv: string[], io: CommandIo) => number | Promise<number>> = {
  status: runStatus,
  'install-systemd': runInstallSystemd,
};

/** Runs the subcommand named by argv[0] and returns its exit code; undefined when argv names none (run the daemon). */
export async function runCommand(argv: readonly string[], io: CommandIo): Promise<number | undefined> {
  const name = argv[0];
  const command = name === undefined ? undefined : COMMANDS[name];
  return command ? command(argv.slice(1), io) : undefined;
}

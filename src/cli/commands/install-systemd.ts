import { execa } from 'execa';
import { existsSync, mkdirSync, realpathSync } from 'node:fs';
import { hostname } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { locateCsync2Config, readCsync2Config, selectScope } from '../../config/index.js';
import { findOnPath } from '../../daemon/preflight.js';
import { EnvironmentError, UsageError } from '../../errors.js';
import { controlCharacterIn, renderUnit } from '../../systemd/unit-file.js';
import { formatDatabaseUrl, parseDatabaseUrl, redactDatabase } from '../../sync/csync2-database.js';
import { installUnitFile } from '../../systemd/unit-install.js';
import { SHIPPED_UNITS } from '../../systemd/unit-templates.js';
import { VERSION } from '../../version.js';
import type { Csync2Options } from '../../daemon/daemon-options.js';
import type { OptionSpec, OptionsOf } from '../option-table.js';
import type { CommandIo } from './command-io.js';

/** systemd's PATH for system services (systemd 252): where `#!/usr/bin/env node` must find node. */
const SYSTEMD_PATH = ['/usr/local/sbin', '/usr/local/bin', '/usr/sbin', '/usr/bin', '/sbin', '/bin'];

const realpathOr = (path: string): string => {
  try {
    return realpathSync(path);
  } catch {
    return path;
  }
};

/**
 * The program systemd should run: this very program. Its `inotify-csync`
 * launcher on PATH when that is what runs now and systemd's own PATH finds
 * `node` for its shebang; else node and the script by absolute path (node from
 * nvm or a tarball is not on systemd's PATH; a single-file bundle has no launcher).
 */
export function defaultExecStart(env: NodeJS.ProcessEnv = process.env): string[] {
  const script = realpathOr(process.argv[1] ?? fileURLToPath(new URL('../../main.js', import.meta.url)));
  const launcher = findOnPath('inotify-csync', env.PATH ?? '');
  if (launcher && realpathOr(launcher) === script && findOnPath('node', SYSTEMD_PATH.join(delimiter))) return [launcher];
  return [process.execPath, script];
}

/** The include roots of this host, for RequiresMountsFor=; undefined (with the reason) when csync2.cfg cannot be read. */
async function includeRoots(config: string | undefined, csync2: Csync2Options & { host: string }): Promise<{ roots?: string[]; note: string }> {
  try {
    const file = locateCsync2Config({ config, configName: csync2.configName, env: process.env });
    const scope = selectScope(await readCsync2Config(file), { host: csync2.host, groups: csync2.groups });
    return { roots: scope.watchRoots, note: `the include roots of ${csync2.host} in ${file}` };
  } catch (error) {
    return { note: `csync2's configuration could not be read (${(error as Error).message}): RequiresMountsFor= is left as a comment` };
  }
}

/** Refuses a value a unit file line cannot carry: a newline would add lines of its own to the unit. */
function refuseControlCharacters(what: string, value: string): void {
  const found = controlCharacterIn(value);
  if (found !== undefined) {
    throw new UsageError(`install-systemd: ${what} ${JSON.stringify(value)} holds a control character (${found}), which would change the unit file's lines: nothing written; rename it or leave it out`);
  }
}

/** `install-systemd`'s own options, declared once; the daemon's options follow `--`. */
export const INSTALL_SYSTEMD_OPTIONS = {
  instance: { flags: '--instance', description: 'Write the template unit inotify-csync@.service' },
  unitDir: { flags: '--unit-dir <dir>', description: 'Where to write the unit', default: '/etc/systemd/system' },
  config: { flags: '--config <file>', description: "csync2's configuration, for RequiresMountsFor=", shown: 'as csync2 finds it' },
  exec: { flags: '--exec <path>', description: 'The program ExecStart= runs', shown: 'inotify-csync on PATH, else node and this script' },
  reload: { flags: '--no-reload', description: 'Do not run systemctl daemon-reload' },
  force: { flags: '--force', description: 'Replace a unit file with other content, or a symbolic link (the old one is kept as UNIT.bak-TIMESTAMP)' },
} as const satisfies Record<string, OptionSpec>;

export const INSTALL_SYSTEMD_USAGE =
  'install-systemd [-N host] [--instance] [csync2 options] [-- daemon options]\n\n  Writes a systemd unit running inotify-csync for this host and reloads systemd.\n  --instance: the template inotify-csync@.service (one unit per csync2 host name, -N %i);\n  otherwise inotify-csync.service with -N host. Options after -- are added to ExecStart=.';

export const INSTALL_SYSTEMD_EXAMPLES = ['inotify-csync install-systemd --instance -N host1', 'inotify-csync install-systemd -N host1 -D /var/lib/csync2 -- --mode thread'];

/** `inotify-csync install-systemd`: writes the unit, reloads systemd, prints the enable command. Returns the exit code. */
export async function runInstallSystemd(options: OptionsOf<typeof INSTALL_SYSTEMD_OPTIONS>, csync2: Csync2Options, daemonArgs: string[], io: CommandIo): Promise<number> {
  const host = csync2.host ?? hostname();
  // A unit name holds only these characters (systemd.unit(5)); csync2 host names do too.
  if (!/^[A-Za-z0-9:_.-]+$/.test(host)) throw new UsageError(`-N ${host}: a systemd unit name cannot carry this host name; use a csync2 name of letters, digits, '.', '-', '_'`);
  const instance = options.instance === true;
  const unitName = instance ? 'inotify-csync@.service' : 'inotify-csync.service';
  const socketName = instance ? 'inotify-csync@.socket' : 'inotify-csync.socket';
  if (options.exec !== undefined) refuseControlCharacters('--exec', options.exec);
  if (options.config !== undefined) refuseControlCharacters('--config', options.config);
  if (options.unitDir !== undefined) refuseControlCharacters('--unit-dir', options.unitDir);
  for (const token of csync2.passThrough) refuseControlCharacters('csync2 option', token);
  for (const token of daemonArgs) refuseControlCharacters('daemon option', token);
  // -N becomes %i in the template; every other csync2 option and the daemon options are kept in order.
  const passThrough = csync2.passThrough.filter((token, index, all) => !(token.startsWith('-N') || all[index - 1] === '-N'));
  const program = options.exec ? [options.exec] : defaultExecStart(io.env);
  for (const word of program) refuseControlCharacters('the program path', word);
  const execStart = [
    ...program,
    '-N', instance ? '%i' : host,
    ...passThrough,
    ...(options.config ? ['--config', options.config] : []),
    ...daemonArgs,
  ];

  if (csync2.port !== undefined && !/^\d+$/.test(csync2.port)) throw new UsageError(`install-systemd: -p ${csync2.port}: expected csync2's port number (e.g. -p 30865)`);
  const secret = csync2.database === undefined ? undefined : parseDatabaseUrl(csync2.database);
  if (secret?.password) {
    throw new UsageError(`install-systemd: -D ${redactDatabase(csync2.database)} holds a password, and unit files are world-readable: nothing written; put it in root's ~/.pgpass (${secret.host || 'localhost'}:${secret.port ?? 5432}:*:${secret.user ?? 'csync2'}:PASSWORD, mode 0600) and pass -D ${formatDatabaseUrl({ ...secret, password: undefined })}`);
  }
  const { roots, note } = await includeRoots(options.config, { ...csync2, host });
  for (const root of roots ?? []) refuseControlCharacters('the include root', root);
  // Without csync2's server the port is not ours: no socket unit, and the service does not ask for one.
  const serves = !daemonArgs.includes('--no-server');
  const header = `# Written by inotify-csync ${VERSION} install-systemd.\n`;
  const unit = `${header}${renderUnit(SHIPPED_UNITS[unitName], { execStart, host: instance ? undefined : host, mounts: roots, socket: serves })}`;
  const socket = `${header}${renderUnit(SHIPPED_UNITS[socketName], { execStart: [], host: instance ? undefined : host, listenPort: csync2.port })}`;

  const unitDir = options.unitDir ?? INSTALL_SYSTEMD_OPTIONS.unitDir.default;
  const files: Array<[string, string]> = [[join(unitDir, unitName), unit], ...(serves ? [[join(unitDir, socketName), socket] as [string, string]] : [])];
  // Every file is checked before any is written: a refused socket unit leaves the service unit as it was too.
  for (const dryRun of [true, false]) {
    for (const [target, text] of files) {
      let written: ReturnType<typeof installUnitFile>;
      try {
        mkdirSync(unitDir, { recursive: true });
        written = installUnitFile(target, text, { force: options.force === true, dryRun });
      } catch (error) {
        if (error instanceof EnvironmentError) throw error;
        throw new EnvironmentError(`cannot write ${target}: ${(error as Error).message} (run as root, or choose another --unit-dir)`, { cause: error });
      }
      if (!dryRun) io.stdout.write(`${written.action} ${target}${written.backup ? ` (the previous one is kept as ${written.backup})` : ''}\n`);
    }
  }
  io.stdout.write(`  ExecStart=${unit.split('\n').find((line) => line.startsWith('ExecStart='))?.slice('ExecStart='.length) ?? ''}\n`);
  io.stdout.write(roots && roots.length > 0 ? `  RequiresMountsFor=${roots.join(' ')} (${note})\n` : `  note: ${note}\n`);

  // sd_booted(3): systemd runs this machine when /run/systemd/system exists.
  if (options.reload !== false && findOnPath('systemctl', io.env.PATH ?? '') && existsSync('/run/systemd/system')) {
    const reload = await execa('systemctl', ['daemon-reload'], { reject: false, stdin: 'ignore', all: true });
    if (reload.exitCode !== 0) {
      io.stderr.write(`systemctl daemon-reload failed (exit code ${reload.exitCode}): ${String(reload.all ?? '').trim()}\n`);
      return 1;
    }
    io.stdout.write('ran systemctl daemon-reload\n');
  } else if (options.reload !== false) {
    io.stdout.write('systemd is not running here: run systemctl daemon-reload on the target machine\n');
  }
  const enable = instance ? `inotify-csync@${host}.service` : 'inotify-csync.service';
  io.stdout.write(`Start it now and at every boot:\n  systemctl enable --now ${enable}\n`);
  if (serves) {
    const socketUnit = instance ? `inotify-csync@${host}.socket` : 'inotify-csync.socket';
    io.stdout.write(`systemd holds csync2's port in ${socketUnit} (enabled and started with it). To stop both:\n  systemctl stop ${socketUnit} ${enable}\n`);
  }
  return 0;
}

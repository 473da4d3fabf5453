import { ConfigError } from '../errors.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { parseDatabaseUrl, redactDatabase } from './csync2-database.js';

/** A path no include can hold: csync2 opens its database, warns that it ignores the path, and exits 0. */
const PROBE_PATH = '/nonexistent-inotify-csync-database-probe';

/** The one-line refusal for what csync2 said when it could not open a server database. */
export function databaseProblem(database: string, said: string): string {
  const url = parseDatabaseUrl(database);
  const where = url ? `${url.host || 'localhost'}:${url.port ?? (url.scheme === 'pgsql' ? 5432 : 3306)}` : database;
  const user = url?.user ?? 'csync2';
  const shown = redactDatabase(database);
  const detail = said.split('\n').map((line) => line.trim()).filter(Boolean).find((line) => !line.startsWith("Can't open database")) ?? said.trim();
  let fix: string;
  if (url?.scheme === 'mysql' && /Access denied for user .* to database/i.test(said)) {
    fix = `${user} may not use csync2's database: grant it (GRANT ALL PRIVILEGES ON \`csync2\\_%\`.* TO ${user}@'THIS HOST';)`;
  } else if (url?.scheme === 'mysql' && /Access denied/i.test(said)) {
    fix = `the password of ${user} is wrong or missing: put it in the -D URL (the daemon hands it to csync2 in MYSQL_PWD, off its command lines)`;
  } else if (/password authentication failed|Access denied/i.test(said)) {
    fix = `the password of ${user} is wrong or missing: put it in root's libpq password file (~/.pgpass, mode 0600: ${where}:*:${user}:PASSWORD) or in the -D URL`;
  } else if (/Connection refused|could not connect|No such file or directory|Can't connect/i.test(said)) {
    fix = `nothing answers at ${where}: start the database server (systemctl start postgresql), or fix the host and port in -D`;
  } else if (/role .* does not exist|Unknown user/i.test(said)) {
    fix = `the server has no user ${user}: create it (PostgreSQL: CREATE ROLE ${user} LOGIN CREATEDB PASSWORD '...';)`;
  } else if (/permission denied to create database|Could not create database/i.test(said)) {
    fix = `${user} may not create csync2's database: grant it (ALTER ROLE ${user} CREATEDB;) or create the database csync2 names (csync2_<host>) owned by ${user}`;
  } else {
    fix = 'run the same csync2 command by hand to see why';
  }
  return `csync2 cannot open its database ${shown} (${detail}): ${fix}`;
}

/**
 * At start, with a server database (`-D pgsql://` or `mysql://`): one csync2
 * call that only opens it, so a server that is down or refuses the login is
 * one line naming the fix instead of a start-up full sync that fails.
 */
export async function probeDatabase(options: { children: ChildProcesses; passThrough: string[]; database?: string; timeoutMs?: number }): Promise<void> {
  const { database } = options;
  if (database === undefined || parseDatabaseUrl(database) === undefined) return;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const result = await options.children.start('csync2', [...options.passThrough, '-cr', '--', PROBE_PATH], {
    reject: false,
    stdin: 'ignore',
    all: true,
    timeout: timeoutMs,
    forceKillAfterDelay: 2000,
  });
  if (result.timedOut) throw new ConfigError(`csync2 did not open its database ${redactDatabase(database)} within ${timeoutMs / 1000} s: check that the database server answers`);
  if (result.exitCode !== 0) throw new ConfigError(databaseProblem(database, String(result.all ?? '')));
}

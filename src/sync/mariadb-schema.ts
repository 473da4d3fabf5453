import { randomBytes } from 'node:crypto';
import { unlinkSync } from 'node:fs';
import { createPrivateFile } from '../process/private-file.js';
import { join } from 'node:path';
import { ConfigError, EnvironmentError } from '../errors.js';
import { findOnPath } from '../daemon/preflight.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { parseDatabaseUrl, redactDatabase, type DatabaseUrl } from './csync2-database.js';

/** A string literal for MariaDB: quote and backslash escaped (the default sql_mode reads `\` as an escape). */
export function sqlString(value: string): string {
  return `'${value.replace(/[\\']/g, (char) => `\\${char}`)}'`;
}

/** A value of a MariaDB option file, double-quoted: `\` and `"` escaped, so `#` and spaces stay in it. */
export function optionFileValue(value: string): string {
  return `"${value.replace(/[\\"]/g, (char) => `\\${char}`)}"`;
}

/**
 * The database csync2 uses for a `mysql://` URL: the URL's own, else
 * `csync2_<host>[_<config name>]`, every character but [A-Za-z0-9_] made `_`
 * (csync2 2.0, db_api.c csync_parse_url).
 */
export function csync2DatabaseName(url: DatabaseUrl, host: string, configName?: string): string {
  const name = url.database ? url.database : `csync2_${host}${configName ? `_${configName}` : ''}`;
  return name.replace(/[^A-Za-z0-9_]/g, '_');
}

/**
 * csync2 2.0's MySQL schema (db_mysql.c db_mysql_upgrade_to_schema) with
 * `recursive` quoted: MariaDB >= 10.2 and MySQL 8 reserve the word, so
 * csync2's own CREATE TABLE hint fails and it stops. csync2 creates no tables
 * when `file` answers `SELECT count(*)` (db_api.c db_schema_version).
 * Binary columns: csync2 stores names as bytes (url_encode leaves bytes >= 0x80
 * alone), so a name that is not UTF-8 is kept, and `F` and `f` stay two files
 * (a _ci collation would make them one row). Idempotent.
 */
export function mariadbSchemaSql(database: string): string {
  const table = (name: string, columns: string) => `CREATE TABLE IF NOT EXISTS \`${name}\` (${columns}) DEFAULT CHARSET=binary;`;
  return [
    `CREATE DATABASE IF NOT EXISTS \`${database}\` CHARACTER SET binary;`,
    `USE \`${database}\`;`,
    table('action', 'filename TEXT NOT NULL, command TEXT NOT NULL, logfile TEXT NOT NULL, KEY filename (filename(255)), KEY command (command(255))'),
    table('dirty', 'filename TEXT NOT NULL, forced INTEGER NOT NULL, myname TEXT NOT NULL, peername TEXT NOT NULL, KEY filename (filename(255)), KEY dirty_host (peername(255))'),
    table('file', 'filename TEXT NOT NULL, checktxt TEXT NOT NULL, KEY filename (filename(255))'),
    table('hint', 'filename TEXT NOT NULL, `recursive` INTEGER NOT NULL'),
    table('x509_cert', 'peername TEXT NOT NULL, certdata TEXT NOT NULL, KEY peername (peername(255))'),
    // What the file table's names compare as: empty for binary, else a collation name.
    `SELECT IFNULL(COLLATION_NAME, '') FROM information_schema.COLUMNS WHERE TABLE_SCHEMA = ${sqlString(database)} AND TABLE_NAME = 'file' AND COLUMN_NAME = 'filename';`,
  ].join('\n');
}

/** The fix for what the mariadb client said, for one line an admin can act on. */
export function mariadbProblemFix(said: string, url: DatabaseUrl, database: string): string {
  const user = url.user ?? 'root';
  // libmariadb reaches localhost through its socket, not TCP.
  const where = !url.host || url.host === 'localhost' ? `localhost's socket ${process.env.MYSQL_UNIX_PORT ?? '/run/mysqld/mysqld.sock'}` : `${url.host}:${url.port ?? 3306}`;
  if (/ERROR 1045|Access denied for user .* \(using password/i.test(said)) return `the password of ${user} is wrong or missing: fix it in the -D URL`;
  if (/ERROR 1044|ERROR 1142|ERROR 1227|Access denied/i.test(said)) {
    // The server names the account it matched, host part included.
    const account = /Access denied for user '([^']*)'@'([^']*)'/.exec(said);
    const grantee = account ? `'${account[1]}'@'${account[2]}'` : `'${user}'@'THIS HOST'`;
    return `${user} may not create or use ${database}: grant it (GRANT ALL PRIVILEGES ON \`csync2\\_%\`.* TO ${grantee};)`;
  }
  if (/ERROR 200[2356]|Can't connect|Unknown (MySQL|MariaDB) server host/i.test(said)) return `nothing answers at ${where}: start the database server (systemctl start mariadb), or fix the host and port in -D`;
  return `run the mariadb client as ${user} against ${where} to see why`;
}

/** Written exclusively with mode 0600 under a random name in the daemon's private directory. */
function writeOptionFile(dir: string, content: string): string {
  const path = join(dir, `mariadb-client.${randomBytes(6).toString('hex')}.cnf`);
  createPrivateFile(path, content);
  return path;
}

/**
 * At start, with `-D mysql://`: creates csync2's database and tables the way
 * csync2 2.0 would, but with the reserved word `recursive` quoted, since csync2
 * itself cannot on MariaDB >= 10.2. The password goes to the mariadb client in
 * a 0600 option file, never on its command line. Returns a warning when the
 * database already held a `file` table whose names compare case-insensitively.
 */
export async function prepareMariadbSchema(options: {
  children: ChildProcesses;
  database: string;
  /** Used when the URL has none (the daemon moved it to MYSQL_PWD). */
  password?: string;
  host: string;
  configName?: string;
  privateDir: string;
  timeoutMs?: number;
}): Promise<{ database: string; warning?: string }> {
  const url = parseDatabaseUrl(options.database);
  if (!url || url.scheme !== 'mysql') throw new Error(`not a mysql:// URL: ${redactDatabase(options.database)}`);
  const database = csync2DatabaseName(url, options.host, options.configName);
  const client = findOnPath('mariadb') ?? findOnPath('mysql');
  if (!client) {
    throw new EnvironmentError(`the mariadb client is not on PATH: csync2's schema for -D mysql:// is created with it (apt-get install -y mariadb-client)`);
  }
  const lines = ['[client]'];
  if (url.user !== undefined) lines.push(`user=${optionFileValue(url.user)}`);
  const password = url.password ?? options.password;
  if (password !== undefined) lines.push(`password=${optionFileValue(password)}`);
  // libmariadb, as csync2 calls it, takes an empty host as localhost (the socket) and a missing port as 3306.
  lines.push(`host=${optionFileValue(url.host || 'localhost')}`);
  if (url.port !== undefined) lines.push(`port=${url.port}`);
  // libmariadb takes localhost's socket from MYSQL_UNIX_PORT (else its built-in path); the client would take my.cnf's.
  if (process.env.MYSQL_UNIX_PORT) lines.push(`socket=${optionFileValue(process.env.MYSQL_UNIX_PORT)}`);
  const optionFile = writeOptionFile(options.privateDir, `${lines.join('\n')}\n`);
  const timeoutMs = options.timeoutMs ?? 30_000;
  let result;
  try {
    // --defaults-extra-file must come first; --no-auto-rehash and --batch keep it quiet and plain.
    result = await options.children.start(client, [`--defaults-extra-file=${optionFile}`, '--batch', '--skip-column-names', '--no-auto-rehash', '--connect-timeout=10'], {
      input: mariadbSchemaSql(database),
      reject: false,
      all: true,
      timeout: timeoutMs,
      forceKillAfterDelay: 2000,
    });
  } finally {
    unlinkSync(optionFile);
  }
  const shown = redactDatabase(options.database);
  if (result.timedOut) throw new ConfigError(`the mariadb client did not prepare csync2's database ${database} at ${shown} within ${timeoutMs / 1000} s: check that the database server answers`);
  const said = String(result.all ?? '').trim();
  if (result.exitCode !== 0) {
    // The client echoes the failed statement between dashes first (--print-query-on-error).
    const lines = said.split('\n').map((line) => line.trim()).filter(Boolean);
    const detail = lines.find((line) => line.startsWith('ERROR')) ?? lines.find((line) => !line.startsWith('---')) ?? `exit code ${result.exitCode}`;
    throw new ConfigError(`cannot prepare csync2's database ${database} at ${shown} (${detail}): ${mariadbProblemFix(said, url, database)}`);
  }
  const collation = String(result.stdout ?? '').trim();
  if (collation === '') return { database };
  return {
    database,
    warning: `csync2's table ${database}.file compares names with collation ${collation} (created before, not by inotify-csync): names differing only in case are one row and names that are not UTF-8 fail; drop the database (DROP DATABASE \`${database}\`;) and restart: it is created anew and the start-up full sync fills it`,
  };
}

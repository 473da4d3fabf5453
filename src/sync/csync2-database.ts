import { closeSync, constants, openSync, readSync } from 'node:fs';
import { join } from 'node:path';

/** Where csync2 keeps its database when built for Debian and EL (its DBDIR). */
const DEFAULT_DATABASE_DIR = '/var/lib/csync2';

/**
 * csync2's SQLite file for a host: `DIR/HOST[_CONFIGNAME].db3` (csync2's db.c),
 * where `-D` gives DIR, an `sqlite3://` URL of a directory or file, or another
 * database's URL (undefined: not SQLite).
 */
export function csync2DatabasePath(host: string, database?: string, configName?: string): string | undefined {
  let dir = database ?? DEFAULT_DATABASE_DIR;
  const url = /^(\w+):\/\/(.*)$/.exec(dir);
  if (url) {
    if (url[1] !== 'sqlite' && url[1] !== 'sqlite3') return undefined;
    dir = url[2] ?? '';
    if (dir.endsWith('.db3')) return dir;
  }
  return join(dir, `${host}${configName ? `_${configName}` : ''}.db3`);
}

/**
 * The journal mode an SQLite file is in, from its header (bytes 18 and 19:
 * 1 = rollback journal, 2 = WAL), read without an SQLite library.
 * Undefined when the file is missing or not SQLite.
 */
export function sqliteJournalMode(path: string): 'rollback' | 'wal' | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW);
  } catch {
    return undefined;
  }
  try {
    const header = Buffer.alloc(20);
    if (readSync(fd, header, 0, 20, 0) < 20 || header.toString('latin1', 0, 16) !== 'SQLite format 3\0') return undefined;
    if (header[18] === 2 && header[19] === 2) return 'wal';
    if (header[18] === 1 && header[19] === 1) return 'rollback';
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * csync2's sessions, updates and checks share one SQLite file: in WAL mode
 * readers stop blocking its writer. The advice for a database still in
 * rollback mode, else undefined.
 */
export function journalModeAdvice(csync2: { host: string; database?: string; configName?: string }): string | undefined {
  const path = csync2DatabasePath(csync2.host, csync2.database, csync2.configName);
  if (path === undefined || sqliteJournalMode(path) !== 'rollback') return undefined;
  return `csync2's database ${path} uses SQLite's rollback journal; with every node writing, WAL mode shortens csync2's lock waits (README, "Several nodes writing"): switch it once with sqlite3 ${path} 'PRAGMA journal_mode=WAL;'`;
}

/** Which kind of database csync2 uses for `-D` (csync2's db.c: a URL's scheme, else an SQLite directory). */
export type DatabaseBackend = 'sqlite' | 'pgsql' | 'mysql';

export function databaseBackend(database?: string): DatabaseBackend {
  const scheme = /^(\w+):\/\//.exec(database ?? '')?.[1];
  if (scheme === 'pgsql') return 'pgsql';
  if (scheme === 'mysql') return 'mysql';
  return 'sqlite';
}

/** A server database URL split as csync2's csync_parse_url splits it: `scheme://[user[:password]@]host[:port]/[database]`. */
export interface DatabaseUrl {
  scheme: 'pgsql' | 'mysql';
  user?: string;
  password?: string;
  host: string;
  port?: number;
  database?: string;
}

export function parseDatabaseUrl(database: string): DatabaseUrl | undefined {
  const match = /^(pgsql|mysql):\/\/(.*)$/.exec(database);
  if (!match) return undefined;
  let rest = match[2] ?? '';
  const url: DatabaseUrl = { scheme: match[1] as DatabaseUrl['scheme'], host: '' };
  const at = rest.indexOf('@');
  if (at >= 0) {
    const credentials = rest.slice(0, at);
    rest = rest.slice(at + 1);
    const colon = credentials.indexOf(':');
    url.user = colon >= 0 ? credentials.slice(0, colon) : credentials;
    if (colon >= 0) url.password = credentials.slice(colon + 1);
  }
  const slash = rest.indexOf('/');
  if (slash >= 0) {
    if (slash + 1 < rest.length) url.database = rest.slice(slash + 1);
    rest = rest.slice(0, slash);
  }
  const colon = rest.indexOf(':');
  if (colon >= 0) {
    const port = Number.parseInt(rest.slice(colon + 1), 10);
    if (port > 0) url.port = port;
    rest = rest.slice(0, colon);
  }
  url.host = rest;
  return url;
}

/** The URL as csync2 takes it again, from its parts. */
export function formatDatabaseUrl(url: DatabaseUrl): string {
  const credentials = url.user === undefined ? '' : `${url.user}${url.password === undefined ? '' : `:${url.password}`}@`;
  return `${url.scheme}://${credentials}${url.host}${url.port === undefined ? '' : `:${url.port}`}/${url.database ?? ''}`;
}

/** `-D` for the log, the status file and the CONFIG line: a password becomes `***`. */
export function redactDatabase(database: string | undefined): string | undefined {
  if (database === undefined) return undefined;
  const url = parseDatabaseUrl(database);
  if (!url || !url.password) return database;
  return formatDatabaseUrl({ ...url, password: '***' });
}

/** Every `-D` value in an argument list redacted (`-D URL` and `-DURL`). */
export function redactArgs(args: readonly string[]): string[] {
  return args.map((arg, index) => {
    if (args[index - 1] === '-D') return redactDatabase(arg) ?? arg;
    if (arg.startsWith('-D') && arg.length > 2) return `-D${redactDatabase(arg.slice(2)) ?? ''}`;
    return arg;
  });
}

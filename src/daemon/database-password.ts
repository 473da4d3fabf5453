import { renameSync, unlinkSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createPrivateFile } from '../process/private-file.js';
import { formatDatabaseUrl, parseDatabaseUrl, redactArgs } from '../sync/csync2-database.js';
import type { Csync2Options } from './daemon-options.js';

/** A field of a libpq password file: `:` and `\` escaped. */
const pgpassField = (value: string): string => value.replace(/[\\:]/g, (char) => `\\${char}`);

/** One line of libpq's password file for this URL's server and user, any database. */
export function pgpassLine(url: { host: string; port?: number; user?: string; password?: string }): string {
  return [url.host || 'localhost', String(url.port ?? 5432), '*', url.user ?? 'csync2', url.password ?? ''].map(pgpassField).join(':');
}

export interface HiddenPassword<T> {
  csync2: T;
  /** The libpq password file every csync2 child is given (PGPASSFILE); undefined when nothing was moved. */
  passFile?: string;
}

/**
 * csync2 puts `-D` in every child's command line, where any local user reads
 * it (`ps`). A password in `-D pgsql://user:password@host/` is moved into a
 * libpq password file in the private queue directory (0600), and csync2 is
 * given the URL without it: libpq then finds it there (csync2 passes an
 * empty password, and libpq looks an empty one up in PGPASSFILE).
 * A `mysql://` password goes to MYSQL_PWD instead (hideMysqlPassword).
 */
export function hidePgsqlPassword<T extends Csync2Options>(csync2: T, privateDir: string): HiddenPassword<T> {
  const url = csync2.database === undefined ? undefined : parseDatabaseUrl(csync2.database);
  if (!url || url.scheme !== 'pgsql') return { csync2 };
  const secret = url.password !== undefined && url.password !== '';
  const passFile = secret ? join(privateDir, 'pgpass') : undefined;
  if (passFile) writePrivateFile(passFile, `${pgpassLine(url)}\n`);
  // A user and an empty password, never none: csync2 2.0 writes a missing one as "(null)"
  // when it reconnects to create its database (db_postgres.c); libpq looks an empty one up.
  const bare = formatDatabaseUrl({ ...url, user: url.user ?? 'csync2', password: '' });
  const original = csync2.database as string;
  if (bare === original) return { csync2 };
  const passThrough = replaceDatabaseArg(csync2.passThrough, original, bare);
  return passFile ? { csync2: { ...csync2, database: bare, passThrough }, passFile } : { csync2: { ...csync2, database: bare, passThrough } };
}

/** `-D` swapped for another URL in csync2's options (`-D URL` and `-DURL`). */
function replaceDatabaseArg(passThrough: readonly string[], original: string, next: string): string[] {
  return passThrough.map((arg, index, all) => {
    if (all[index - 1] === '-D' && arg === original) return next;
    if (arg === `-D${original}`) return `-D${next}`;
    return arg;
  });
}

/**
 * The same for `-D mysql://user:password@host/`: libmariadb, as csync2 2.0
 * calls it (db_mysql.c), takes the password from the environment variable
 * MYSQL_PWD when the URL has none, so csync2 is given the URL without
 * `:password` (an empty one, `user:@`, would be used as is) and every child
 * the variable; /proc/PID/environ is readable by root only.
 */
export function hideMysqlPassword<T extends Csync2Options>(csync2: T): { csync2: T; password?: string } {
  const url = csync2.database === undefined ? undefined : parseDatabaseUrl(csync2.database);
  if (!url || url.scheme !== 'mysql' || url.password === undefined || url.password === '') return { csync2 };
  const bare = formatDatabaseUrl({ ...url, password: undefined });
  const passThrough = replaceDatabaseArg(csync2.passThrough, csync2.database as string, bare);
  return { csync2: { ...csync2, database: bare, passThrough }, password: url.password };
}

/** Our own command line without any `-D` password, for `ps` (Linux lets a process rewrite it). */
export function redactOwnCommandLine(argv: readonly string[] = process.argv): void {
  const redacted = redactArgs(argv);
  if (redacted.every((arg, index) => arg === argv[index])) return;
  try {
    process.title = redacted.join(' ');
  } catch {
    // not supported here: the README advises a password file
  }
}

/** Written under a random name, created exclusively with mode 0600, then renamed into place. */
function writePrivateFile(path: string, content: string): void {
  const temp = `${path}.${randomBytes(6).toString('hex')}.tmp`;
  createPrivateFile(temp, content);
  try {
    renameSync(temp, path);
  } catch (error) {
    unlinkSync(temp);
    throw error;
  }
}

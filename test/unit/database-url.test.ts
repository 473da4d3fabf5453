import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { hidePgsqlPassword, pgpassLine } from '../../src/daemon/database-password.js';
import { databaseBackend, parseDatabaseUrl, redactArgs, redactDatabase } from '../../src/sync/csync2-database.js';
import { databaseProblem } from '../../src/sync/database-probe.js';

test('-D names the backend: an SQLite directory or file, or a server URL', () => {
  assert.equal(databaseBackend(undefined), 'sqlite');
  assert.equal(databaseBackend('/var/lib/csync2'), 'sqlite');
  assert.equal(databaseBackend('sqlite3:///var/lib/csync2/x.db3'), 'sqlite');
  assert.equal(databaseBackend('pgsql://csync2@127.0.0.1/'), 'pgsql');
  assert.equal(databaseBackend('mysql://csync2:pw@db/csync2'), 'mysql');
});

test('a server URL is split as csync2 splits it, and a password never shows', () => {
  // csync2 splits at the first '@' and the first ':' after it (csync_parse_url): a password cannot hold '@'.
  assert.deepEqual(parseDatabaseUrl('pgsql://csync2:s3:cr@t@127.0.0.1:25432/'), { scheme: 'pgsql', user: 'csync2', password: 's3:cr', host: 't@127.0.0.1', port: 25432 });
  assert.deepEqual(parseDatabaseUrl('pgsql://csync2:pw@db.example:5433/mydb'), { scheme: 'pgsql', user: 'csync2', password: 'pw', host: 'db.example', port: 5433, database: 'mydb' });
  assert.deepEqual(parseDatabaseUrl('pgsql://db/'), { scheme: 'pgsql', host: 'db' });
  assert.equal(parseDatabaseUrl('/var/lib/csync2'), undefined);
  assert.equal(redactDatabase('pgsql://csync2:pw@db:5433/'), 'pgsql://csync2:***@db:5433/');
  assert.equal(redactDatabase('pgsql://csync2@db/'), 'pgsql://csync2@db/');
  assert.deepEqual(redactArgs(['-N', 'a', '-D', 'mysql://u:pw@h/d', '-Dpgsql://u:pw@h/']), ['-N', 'a', '-D', 'mysql://u:***@h/d', '-Dpgsql://u:***@h/']);
});

test('a pgsql password moves to a 0600 libpq password file, off csync2\'s command lines', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'inotify-csync-pgpass-'));
  try {
    const csync2 = { passThrough: ['-N', 'web1', '-D', 'pgsql://csync2:pa:ss\\w@127.0.0.1:25432/'], host: 'web1', database: 'pgsql://csync2:pa:ss\\w@127.0.0.1:25432/' };
    const hidden = hidePgsqlPassword(csync2, dir);
    assert.equal(hidden.csync2.database, 'pgsql://csync2:@127.0.0.1:25432/');
    assert.deepEqual(hidden.csync2.passThrough, ['-N', 'web1', '-D', 'pgsql://csync2:@127.0.0.1:25432/']);
    assert.equal(hidden.passFile, join(dir, 'pgpass'));
    assert.equal(await readFile(join(dir, 'pgpass'), 'utf8'), '127.0.0.1:25432:*:csync2:pa\\:ss\\\\w\n');
    assert.equal((await stat(join(dir, 'pgpass'))).mode & 0o777, 0o600);
    const none = hidePgsqlPassword({ passThrough: ['-D', 'pgsql://h/'], host: 'x', database: 'pgsql://h/' }, dir);
    assert.equal(none.passFile, undefined, 'nothing to move');
    assert.equal(none.csync2.database, 'pgsql://csync2:@h/', 'csync2 2.0 would write a missing user and password as (null) when it creates its database');
    assert.deepEqual(none.csync2.passThrough, ['-D', 'pgsql://csync2:@h/']);
    assert.equal(hidePgsqlPassword({ passThrough: [], host: 'x', database: 'pgsql://csync2:@h/' }, dir).csync2.database, 'pgsql://csync2:@h/');
    assert.equal(hidePgsqlPassword({ passThrough: [], host: 'x', database: 'mysql://u:pw@h/' }, dir).passFile, undefined, 'MariaDB reads no password file');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  assert.equal(pgpassLine({ host: '', user: 'csync2', password: 'x' }), 'localhost:5432:*:csync2:x');
});

test('what csync2 says when its database does not open becomes one line naming the fix', () => {
  const url = 'pgsql://csync2:secret@127.0.0.1:25432/';
  const auth = databaseProblem(url, 'Connection failed: connection to server at "127.0.0.1", port 25432 failed: FATAL:  password authentication failed for user "csync2"\nCan\'t open database: pgsql://csync2:secret@127.0.0.1:25432/\n');
  assert.match(auth, /^csync2 cannot open its database pgsql:\/\/csync2:\*\*\*@127\.0\.0\.1:25432\/ \(Connection failed: .*password authentication failed.*\): the password of csync2 is wrong or missing: put it in root's libpq password file \(~\/\.pgpass, mode 0600: 127\.0\.0\.1:25432:\*:csync2:PASSWORD\)/);
  assert.doesNotMatch(auth, /secret/);
  const down = databaseProblem('pgsql://csync2@127.0.0.1:25433/', 'Connection failed: connection to server at "127.0.0.1", port 25433 failed: Connection refused\n\tIs the server running on that host and accepting TCP/IP connections?\nCan\'t open database: pgsql://csync2@127.0.0.1:25433/');
  assert.match(down, /: nothing answers at 127\.0\.0\.1:25433: start the database server/);
  assert.equal(down.split('\n').length, 1);
});

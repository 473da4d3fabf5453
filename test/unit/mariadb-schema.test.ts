import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hideMysqlPassword } from '../../src/daemon/database-password.js';
import { parseDatabaseUrl } from '../../src/sync/csync2-database.js';
import { databaseProblem } from '../../src/sync/database-probe.js';
import { csync2DatabaseName, mariadbProblemFix, mariadbSchemaSql, optionFileValue, sqlString } from '../../src/sync/mariadb-schema.js';

test('csync2\'s database name for a mysql:// URL: the URL\'s own, else csync2_<host>[_<config>], other characters made _', () => {
  const url = (text: string) => parseDatabaseUrl(text) ?? assert.fail(text);
  assert.equal(csync2DatabaseName(url('mysql://csync2@127.0.0.1/'), '127.0.0.2'), 'csync2_127_0_0_2');
  assert.equal(csync2DatabaseName(url('mysql://csync2@db/'), 'web-1.example', 'www'), 'csync2_web_1_example_www');
  assert.equal(csync2DatabaseName(url('mysql://csync2@db/my-db'), 'web1'), 'my_db');
});

test('the schema is csync2 2.0\'s with `recursive` quoted, binary, and safe to run again', () => {
  const sql = mariadbSchemaSql('csync2_web1');
  assert.match(sql, /^CREATE DATABASE IF NOT EXISTS `csync2_web1` CHARACTER SET binary;\nUSE `csync2_web1`;/);
  assert.match(sql, /CREATE TABLE IF NOT EXISTS `hint` \(filename TEXT NOT NULL, `recursive` INTEGER NOT NULL\) DEFAULT CHARSET=binary;/);
  for (const table of ['action', 'dirty', 'file', 'hint', 'x509_cert']) assert.match(sql, new RegExp(`CREATE TABLE IF NOT EXISTS \`${table}\``));
  assert.doesNotMatch(sql.replaceAll('`recursive`', ''), /recursive/, 'the reserved word appears only quoted');
});

test('a password keeps its quoting characters in SQL and in an option file', () => {
  assert.equal(sqlString(`a'b\\c`), `'a\\'b\\\\c'`);
  assert.equal(optionFileValue('p#"\\ ;'), '"p#\\"\\\\ ;"');
});

test('what the mariadb client said becomes the fix', () => {
  const url = parseDatabaseUrl('mysql://csync2@127.0.0.1:3307/') ?? assert.fail();
  assert.match(mariadbProblemFix("ERROR 1045 (28000): Access denied for user 'csync2'@'localhost' (using password: YES)", url, 'csync2_a'), /password of csync2 is wrong/);
  assert.equal(
    mariadbProblemFix("ERROR 1044 (42000) at line 1: Access denied for user 'csync2'@'10.0.0.%' to database 'csync2_a'", url, 'csync2_a'),
    "csync2 may not create or use csync2_a: grant it (GRANT ALL PRIVILEGES ON `csync2\\_%`.* TO 'csync2'@'10.0.0.%';)",
  );
  assert.match(mariadbProblemFix("ERROR 2002 (HY000): Can't connect to server on '127.0.0.1' (115)", url, 'csync2_a'), /nothing answers at 127\.0\.0\.1:3307/);
  const local = parseDatabaseUrl('mysql://root@localhost/') ?? assert.fail();
  assert.match(mariadbProblemFix("ERROR 2002 (HY000): Can't connect to local server through socket '/run/mysqld/mysqld.sock' (2)", local, 'csync2_a'), /nothing answers at localhost's socket /);
});

test('csync2\'s own refusal on MariaDB names a MariaDB fix, not a libpq password file', () => {
  const denied = databaseProblem('mysql://csync2@127.0.0.1:3307/', "Failed to connect to database: Error: Access denied for user 'csync2'@'localhost' (using password: NO)\nCan't open database: mysql://csync2@127.0.0.1:3307/");
  assert.match(denied, /: the password of csync2 is wrong or missing: put it in the -D URL \(the daemon hands it to csync2 in MYSQL_PWD/);
  const grant = databaseProblem('mysql://csync2@127.0.0.1:3307/', "Failed to connect to database: Error: Access denied for user 'csync2'@'127.0.0.1' to database 'csync2_a'");
  assert.match(grant, /: csync2 may not use csync2's database: grant it \(GRANT ALL PRIVILEGES ON `csync2\\_%`\.\* TO csync2@'THIS HOST';\)$/);
});

test('a mysql:// password moves to MYSQL_PWD: csync2 gets the URL without ":password" (libmariadb reads the variable only then)', () => {
  const database = 'mysql://csync2:pa:ss@127.0.0.1:3307/';
  const hidden = hideMysqlPassword({ passThrough: ['-N', 'web1', '-D', database], host: 'web1', database });
  assert.equal(hidden.password, 'pa:ss');
  assert.equal(hidden.csync2.database, 'mysql://csync2@127.0.0.1:3307/');
  assert.deepEqual(hidden.csync2.passThrough, ['-N', 'web1', '-D', 'mysql://csync2@127.0.0.1:3307/']);
  assert.equal(hideMysqlPassword({ passThrough: [], host: 'x', database: 'mysql://csync2@h/' }).password, undefined, 'nothing to move');
  assert.equal(hideMysqlPassword({ passThrough: [], host: 'x', database: 'pgsql://csync2:pw@h/' }).password, undefined, 'PostgreSQL has its password file');
});

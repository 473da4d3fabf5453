import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execa } from 'execa';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { csync2DatabasePath, sqliteJournalMode } from '../../src/sync/csync2-database.js';

test("csync2's database file is found the way csync2 names it", () => {
  assert.equal(csync2DatabasePath('web1'), '/var/lib/csync2/web1.db3');
  assert.equal(csync2DatabasePath('web1', '/srv/db', 'www'), '/srv/db/web1_www.db3');
  assert.equal(csync2DatabasePath('web1', 'sqlite3:///srv/db'), '/srv/db/web1.db3');
  assert.equal(csync2DatabasePath('web1', 'sqlite3:///srv/db/custom.db3'), '/srv/db/custom.db3');
  assert.equal(csync2DatabasePath('web1', 'mysql://user@db/csync2'), undefined, 'not SQLite: no file to look at');
});

test("a real csync2 database's journal mode is read from its header", async () => {
  const cluster = await LocalCluster.create({ nodes: 2 });
  try {
    const node = cluster.node(0);
    const result = await cluster.csync2(0, ['-cIr', '/']);
    assert.equal(result.exitCode, 0, String(result.stderr));
    const path = csync2DatabasePath(node.host, node.db);
    assert.ok(path !== undefined);
    assert.deepEqual(readdirSync(node.db).filter((name) => name.endsWith('.db3')), [`${node.host}.db3`], 'csync2 created the file the daemon looks for');
    assert.equal(sqliteJournalMode(path), 'rollback', 'csync2 creates its database with the rollback journal');
    // The sqlite3 command is installed by .ci/run; the switch the README advises.
    await execa('sqlite3', [path, 'PRAGMA journal_mode=WAL;']);
    assert.equal(sqliteJournalMode(path), 'wal');
    assert.equal((await cluster.csync2(0, ['-cr', '/'])).exitCode, 0, 'csync2 works on the WAL database');
    assert.equal(sqliteJournalMode(join(node.db, 'missing.db3')), undefined);
  } finally {
    await cluster.destroy();
  }
});

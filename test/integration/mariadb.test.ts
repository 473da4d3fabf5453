import assert from 'node:assert/strict';
import { readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { mariadbServerBinaries, PrivateMariadb } from '../../src/cluster/private-mariadb.js';
import { ChildProcesses } from '../../src/process/child-processes.js';
import { prepareMariadbSchema } from '../../src/sync/mariadb-schema.js';
import { runCli } from '../helpers/cli.js';
import { sampleCommandLines } from '../helpers/processes.js';
import { holds, waitFor } from '../helpers/wait.js';

const skip = mariadbServerBinaries() ? false : 'MariaDB is not installed (apt-get install -y mariadb-server; .ci/run installs it)';

/** Bytes of a name in a node's directory, for names that are not UTF-8. */
const rawPath = (dir: string, name: Buffer): Buffer => Buffer.concat([Buffer.from(`${dir}/`), name]);
const holdsRaw = async (path: Buffer, bytes: string): Promise<boolean> => (await readFile(path).catch(() => undefined))?.toString() === bytes;

// csync2's database on a real MariaDB server the test starts in its temp dir
// (Debian's csync2 2.0 loads libmariadb.so.3 at run time for -D mysql://).
describe('csync2 on MariaDB', { skip }, () => {
  let maria: PrivateMariadb;
  let cluster: LocalCluster;
  const daemons: DaemonProcess[] = [];
  const children = new ChildProcesses();
  // Quoting characters of SQL, option files and shells: the password must reach both clients intact.
  const password = `pw#"'\\ ;$x${Math.random().toString(36).slice(2, 8)}`;
  const argsOf = (index: number, url: string): string[] => ['-N', cluster.node(index).host, '-D', url, '-p', String(cluster.port)];

  before(async () => {
    maria = await PrivateMariadb.start({ password });
    cluster = await LocalCluster.create({ nodes: 2 });
  });
  after(async () => {
    await Promise.all(daemons.map((daemon) => daemon.stop()));
    await children.stopAll();
    await cluster?.destroy();
    await maria?.stop();
  });

  test('csync2 2.0 alone cannot create its tables: "recursive" is a reserved word (why the daemon creates them)', async () => {
    const raw = await LocalCluster.create({ nodes: 2, databaseUrl: `${maria.url}csync2_raw` });
    try {
      const check = await raw.csync2(0, ['-cr', '--', raw.node(0).dir]);
      assert.equal(check.exitCode, 1);
      assert.match(String(check.stderr), /Database Error: Creating hint table \[1\]: You have an error in your SQL syntax; .* near 'recursive INTEGER NOT NULL\)'/);
      // With the tables made as the daemon makes them, the same check runs; only csync2's hint modes
      // (-h, -H, -c without files), which the daemon never runs, still name the column unquoted.
      // csync2 made action, dirty and file before it stopped, in the server's default collation: the daemon says to drop them.
      const prepare = () => prepareMariadbSchema({ children, database: `${maria.url}csync2_raw`, host: raw.node(0).host, privateDir: raw.root });
      assert.match((await prepare()).warning ?? '', /^csync2's table csync2_raw\.file compares names with collation latin1_swedish_ci .*: names differing only in case are one row .*drop the database \(DROP DATABASE `csync2_raw`;\)/);
      await maria.asRoot('DROP DATABASE csync2_raw');
      assert.deepEqual(await prepare(), { database: 'csync2_raw' });
      assert.equal((await raw.csync2(0, ['-cr', '--', raw.node(0).dir])).exitCode, 0);
      const hints = await raw.csync2(0, ['-H']);
      assert.equal(hints.exitCode, 1);
      assert.match(String(hints.stderr), /near 'recursive, filename FROM hint ORDER BY filename'/);
    } finally {
      await raw.destroy();
    }
  });

  test('a two-node cluster creates its databases and syncs both ways the same bytes, case-distinct and non-UTF-8 names included', async () => {
    for (const index of [0, 1]) daemons.push(DaemonProcess.start(cluster, index, { csync2Args: argsOf(index, maria.url), args: ['--debug'] }));
    await Promise.all(daemons.map((daemon) => daemon.ready(60_000)));
    const a = cluster.node(0).dir;
    const b = cluster.node(1).dir;
    for (const daemon of daemons) assert.match(daemon.log, /CONFIG: csync2's MariaDB database csync2_127_0_0_\d has its tables/);
    for (const db of ['csync2_127_0_0_2', 'csync2_127_0_0_3']) {
      assert.equal((await maria.asRoot(`SELECT DEFAULT_CHARACTER_SET_NAME FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = '${db}'`)).trim(), 'binary');
    }
    // Read while they run: the csync2 calls last milliseconds.
    const sampled = sampleCommandLines(() => daemons.map((daemon) => daemon.pid as number));
    const commandLines = sampled.lines;
    after(() => sampled.stop());
    const latin1 = Buffer.from([0x71, 0xe9, 0x2e, 0x74, 0x78, 0x74]); // "qé.txt" in Latin-1
    for (let i = 0; i < 5; i++) {
      await writeFile(join(a, `from-a-${i}.txt`), `a ${i}\n`);
      await writeFile(join(b, `from-b-${i}.txt`), `b ${i}\n`);
    }
    await writeFile(join(a, 'Case.txt'), 'upper\n');
    await writeFile(join(a, 'case.txt'), 'lower\n');
    await writeFile(rawPath(b, latin1), 'latin1 name\n');
    for (let i = 0; i < 5; i++) {
      await waitFor(() => holds(join(b, `from-a-${i}.txt`), `a ${i}\n`), `from-a-${i}.txt on node B`, 20_000);
      await waitFor(() => holds(join(a, `from-b-${i}.txt`), `b ${i}\n`), `from-b-${i}.txt on node A`, 20_000);
    }
    await waitFor(() => holds(join(b, 'Case.txt'), 'upper\n'), 'Case.txt on node B', 20_000);
    await waitFor(() => holds(join(b, 'case.txt'), 'lower\n'), 'case.txt on node B', 20_000);
    await waitFor(() => holdsRaw(rawPath(a, latin1), 'latin1 name\n'), 'the Latin-1 name on node A', 20_000);
    // A change and a delete travel back the other way.
    await writeFile(join(b, 'Case.txt'), 'changed on B\n');
    await rm(join(b, 'from-a-0.txt'));
    await waitFor(() => holds(join(a, 'Case.txt'), 'changed on B\n'), 'the change of Case.txt on node A', 20_000);
    await waitFor(async () => !(await readdir(a)).includes('from-a-0.txt'), 'from-a-0.txt deleted on node A', 20_000);
    assert.equal(await readFile(join(a, 'case.txt'), 'utf8'), 'lower\n', 'case.txt is a file of its own');
    sampled.stop();
    assert.ok([...commandLines].some((line) => line.includes(`mysql://csync2@127.0.0.1:${maria.port}/`)), 'csync2 children were seen with the URL without the password');
    assert.ok([...commandLines].every((line) => !line.includes(password)), 'no command line holds the password');
    for (const daemon of daemons) {
      assert.deepEqual(daemon.lines.filter((line) => line.includes(password)), [], 'no log line holds the password');
      assert.doesNotMatch(daemon.log, /Database Error/);
    }
    const names = await maria.asRoot("SELECT COUNT(*) FROM csync2_127_0_0_2.file WHERE filename LIKE '%ase.txt'");
    assert.equal(names.trim(), '2', 'csync2 keeps Case.txt and case.txt as two rows');
  });

  test('a user without grants, a wrong password, no server: exit 1 with one line naming the fix, and no password in it', async () => {
    const queue = (name: string) => ['--queue-file', join(cluster.root, `queue-${name}`, 'queue'), '--no-server', '--disable-rsync'];
    await maria.asRoot(`CREATE USER nogrant@'127.0.0.1' IDENTIFIED BY 'secret-nogrant'`);
    const denied = await runCli([...argsOf(0, `mysql://nogrant:secret-nogrant@127.0.0.1:${maria.port}/`), ...queue('denied')], { env: cluster.env, timeoutMs: 60_000 });
    assert.equal(denied.exitCode, 1, denied.stderr);
    assert.match(denied.stderr.trim(), /^inotify-csync: cannot prepare csync2's database csync2_127_0_0_2 at mysql:\/\/nogrant@127\.0\.0\.1:\d+\/ \(ERROR 1044 .*\): nogrant may not create or use csync2_127_0_0_2: grant it \(GRANT ALL PRIVILEGES ON `csync2\\_%`\.\* TO 'nogrant'@'127\.0\.0\.1';\)$/);
    assert.ok(!denied.stderr.includes('secret-nogrant'));
    const wrong = await runCli([...argsOf(0, `mysql://csync2:not-it@127.0.0.1:${maria.port}/`), ...queue('wrong')], { env: cluster.env, timeoutMs: 60_000 });
    assert.equal(wrong.exitCode, 1, wrong.stderr);
    assert.match(wrong.stderr.trim(), /^inotify-csync: cannot prepare csync2's database .*\(ERROR 1045 .*\): the password of csync2 is wrong or missing/);
    assert.equal(wrong.stderr.trim().split('\n').length, 1);
    const down = await runCli([...argsOf(0, `mysql://csync2:x@127.0.0.1:${maria.port === 65000 ? 65001 : 65000}/`), ...queue('down')], { env: cluster.env, timeoutMs: 60_000 });
    assert.equal(down.exitCode, 1, down.stderr);
    assert.match(down.stderr.trim(), /: nothing answers at 127\.0\.0\.1:6500\d: start the database server/);
  });
});

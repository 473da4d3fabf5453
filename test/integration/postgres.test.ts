import assert from 'node:assert/strict';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { CLI_ENTRY, DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { postgresBinDir, PrivatePostgres } from '../../src/cluster/private-postgres.js';
import type { DaemonStatus } from '../../src/daemon/status-snapshot.js';
import { runCli } from '../helpers/cli.js';
import { sampleCommandLines } from '../helpers/processes.js';
import { holds, waitFor } from '../helpers/wait.js';

const bin = await postgresBinDir();
const skip = bin ? false : 'PostgreSQL is not installed (apt-get install -y postgresql; .ci/run installs it)';

// csync2's database on a real PostgreSQL server the test starts in its temp
// dir (Debian's csync2 loads libpq at run time: -D pgsql://... needs no rebuild).
describe('csync2 on PostgreSQL', { skip }, () => {
  let pg: PrivatePostgres;
  let cluster: LocalCluster;
  const daemons: DaemonProcess[] = [];
  const argsOf = (index: number, url: string): string[] => ['-N', cluster.node(index).host, '-D', url, '-p', String(cluster.port)];

  before(async () => {
    pg = await PrivatePostgres.start({ bin });
    cluster = await LocalCluster.create({ nodes: 2 });
  });
  after(async () => {
    await Promise.all(daemons.map((daemon) => daemon.stop()));
    await cluster?.destroy();
    await pg?.stop();
  });

  test('a two-node cluster syncs both ways; the password is on no command line, in no log line and no status', async () => {
    for (const index of [0, 1]) daemons.push(DaemonProcess.start(cluster, index, { csync2Args: argsOf(index, pg.url), args: ['--debug'] }));
    await Promise.all(daemons.map((daemon) => daemon.ready()));
    const a = cluster.node(0).dir;
    const b = cluster.node(1).dir;
    // Read while they run: the csync2 calls last milliseconds.
    const sampled = sampleCommandLines(() => daemons.map((daemon) => daemon.pid as number));
    const commandLines = sampled.lines;
    try {
      for (let i = 0; i < 5; i++) {
        await writeFile(join(a, `from-a-${i}.txt`), `a ${i}\n`);
        await writeFile(join(b, `from-b-${i}.txt`), `b ${i}\n`);
      }
      for (let i = 0; i < 5; i++) {
        await waitFor(() => holds(join(b, `from-a-${i}.txt`), `a ${i}\n`), `from-a-${i}.txt on node B`, 10_000);
        await waitFor(() => holds(join(a, `from-b-${i}.txt`), `b ${i}\n`), `from-b-${i}.txt on node A`, 10_000);
      }
    } finally {
      sampled.stop();
    }
    assert.ok([...commandLines].some((line) => line.includes('pgsql://csync2:@127.0.0.1')), 'csync2 children were seen with the database URL');
    assert.ok([...commandLines].every((line) => !line.includes(pg.password)), 'no command line holds the password');
    for (const daemon of daemons) {
      assert.ok(!daemon.log.includes(pg.password), 'no log line holds the password');
      assert.match(daemon.log, /CONFIG: csync2's database: pgsql \(pgsql:\/\/csync2:@127\.0\.0\.1:\d+\/\)/);
    }
    const passFile = join(cluster.root, 'queue-0', 'pgpass');
    assert.equal((await stat(passFile)).mode & 0o777, 0o600);
    const statusText = await execa(process.execPath, [CLI_ENTRY, 'status', '--queue-file', join(cluster.root, 'queue-0', 'queue'), '--json'], { reject: false });
    const status = JSON.parse(String(statusText.stdout)) as DaemonStatus;
    assert.equal(status.database, 'pgsql');
    assert.ok(!(await readFile(join(cluster.root, 'queue-0', 'queue.status.json'), 'utf8').catch(() => '')).includes(pg.password));
  });

  test('the admin\'s own libpq password file and a URL without a password: csync2 creates its database and the daemon starts', async () => {
    const passFile = join(cluster.root, 'admin-pgpass');
    await writeFile(passFile, `127.0.0.1:${pg.port}:*:csync2:${pg.password}\n`, { mode: 0o600 });
    const daemon = DaemonProcess.start(cluster, 0, {
      csync2Args: argsOf(0, `pgsql://csync2@127.0.0.1:${pg.port}/fresh_from_pgpass`),
      args: ['--no-server', '--queue-file', join(cluster.root, 'queue-pgpass', 'queue')],
      env: { PGPASSFILE: passFile },
    });
    try {
      await daemon.ready(30_000);
      assert.match(daemon.log, /CONFIG: csync2's database: pgsql \(pgsql:\/\/csync2:@127\.0\.0\.1:\d+\/fresh_from_pgpass\)/);
    } finally {
      await daemon.stop();
    }
  });

  test('a wrong password, or no server: exit 1 with one line naming the fix, and no password in it', async () => {
    const queue = (name: string) => ['--queue-file', join(cluster.root, `queue-${name}`, 'queue'), '--no-server', '--disable-rsync'];
    const wrong = await runCli([...argsOf(0, `pgsql://csync2:not-${pg.password}@127.0.0.1:${pg.port}/`), ...queue('wrong')], { env: cluster.env, timeoutMs: 60_000 });
    assert.equal(wrong.exitCode, 1, wrong.stderr);
    assert.match(wrong.stderr.trim(), /^inotify-csync: csync2 cannot open its database pgsql:\/\/csync2:@127\.0\.0\.1:\d+\/ \(.*password authentication failed.*\): the password of csync2 is wrong or missing/);
    assert.equal(wrong.stderr.trim().split('\n').length, 1);
    assert.ok(!wrong.stderr.includes(pg.password));
    const down = await runCli([...argsOf(0, `pgsql://csync2@127.0.0.1:${pg.port === 65000 ? 65001 : 65000}/`), ...queue('down')], { env: cluster.env, timeoutMs: 60_000 });
    assert.equal(down.exitCode, 1, down.stderr);
    assert.match(down.stderr.trim(), /^inotify-csync: csync2 cannot open its database .*: nothing answers at 127\.0\.0\.1:6500\d: start the database server/);
  });
});

import { chmod, chown, mkdir, mkdtemp, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { execa, type ResultPromise } from 'execa';
import { sqlString } from '../sync/mariadb-schema.js';

/** Debian's MariaDB server binaries (`apt-get install mariadb-server`), if installed. */
export function mariadbServerBinaries(): { server: string; installDb: string; client: string } | undefined {
  const server = ['/usr/sbin/mariadbd', '/usr/sbin/mysqld'].find((path) => existsSync(path));
  const installDb = ['/usr/bin/mariadb-install-db', '/usr/bin/mysql_install_db'].find((path) => existsSync(path));
  const client = ['/usr/bin/mariadb', '/usr/bin/mysql'].find((path) => existsSync(path));
  return server && installDb && client ? { server, installDb, client } : undefined;
}

/** `nobody`, as the server runs when we are root (mariadbd refuses root without --user). */
const SERVER_USER = { name: 'nobody', uid: 65534, gid: 65534 };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A MariaDB server of its own in a temporary directory, on 127.0.0.1 and a
 * random port, with one user `csync2` (password over TCP) that may create and
 * use the databases `csync2_*`, as csync2 names them. Root logs in over the
 * server's socket only. Stopped and removed by `stop()`. For tests and
 * benchmarks only.
 */
export class PrivateMariadb {
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly password: string,
    private readonly server: ResultPromise<{ stdin: 'ignore'; stdout: 'ignore'; stderr: 'ignore'; reject: false }>,
    private readonly client: string,
  ) {}

  /** `password` defaults to a random one; a test may pass one with option-file and SQL quoting characters. */
  static async start(options: { parent?: string; password?: string } = {}): Promise<PrivateMariadb> {
    const bin = mariadbServerBinaries();
    if (!bin) throw new Error('MariaDB is not installed (apt-get install -y mariadb-server)');
    const asRoot = userInfo().uid === 0;
    const dir = await mkdtemp(join(options.parent ?? tmpdir(), 'inotify-csync-mariadb-'));
    await chmod(dir, 0o755);
    const data = join(dir, 'data');
    await mkdir(data, { mode: 0o700 });
    // The socket, pid file and log, where the server's own user may write them.
    const run = join(dir, 'run');
    await mkdir(run, { mode: 0o755 });
    // Its own directory for internal temporary tables (Aria files, for csync2's GROUP BY and ORDER BY on TEXT), not the shared /tmp.
    const temp = join(run, 'tmp');
    await mkdir(temp, { mode: 0o700 });
    if (asRoot) for (const owned of [data, run, temp]) await chown(owned, SERVER_USER.uid, SERVER_USER.gid);
    const userArgs = asRoot ? [`--user=${SERVER_USER.name}`] : [];
    const password = options.password ?? randomBytes(12).toString('hex');
    try {
      await execa(bin.installDb, ['--no-defaults', `--datadir=${data}`, ...userArgs, '--auth-root-authentication-method=normal', '--skip-test-db'], { stdin: 'ignore' });
      for (let attempt = 0; ; attempt++) {
        const port = 30000 + Math.floor(Math.random() * 20000);
        const server = execa(
          bin.server,
          [
            '--no-defaults',
            `--datadir=${data}`,
            `--socket=${join(run, 'sock')}`,
            `--port=${port}`,
            '--bind-address=127.0.0.1',
            ...userArgs,
            `--pid-file=${join(run, 'server.pid')}`,
            `--log-error=${join(run, 'server.log')}`,
            `--tmpdir=${temp}`,
            '--innodb-buffer-pool-size=32M',
            '--innodb-flush-log-at-trx-commit=2',
            '--max-connections=200',
          ],
          { stdin: 'ignore', stdout: 'ignore', stderr: 'ignore', reject: false },
        );
        const mariadb = new PrivateMariadb(dir, port, password, server, bin.client);
        if (await mariadb.answers(30_000)) {
          await mariadb.asRoot(
            ['localhost', '127.0.0.1']
              .map((host) => `CREATE USER csync2@'${host}' IDENTIFIED BY ${sqlString(password)}; GRANT ALL PRIVILEGES ON \`csync2\\_%\`.* TO csync2@'${host}';`)
              .join(' '),
          );
          return mariadb;
        }
        server.kill('SIGKILL');
        await server;
        if (attempt >= 3) throw new Error(`mariadbd did not start (see ${join(run, 'server.log')})`);
      }
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
  }

  /** Waits until root's socket login works; false when the server ended first (its port taken) or the deadline passed. */
  private async answers(deadlineMs: number): Promise<boolean> {
    let ended = false;
    void this.server.then(() => {
      ended = true;
    });
    const until = Date.now() + deadlineMs;
    while (!ended && Date.now() < until) {
      const ping = await execa(this.client, ['--no-defaults', `--socket=${join(this.dir, 'run', 'sock')}`, '--user=root', '-e', 'SELECT 1'], { stdin: 'ignore', reject: false });
      if (ping.exitCode === 0) return true;
      await sleep(100);
    }
    return false;
  }

  /** Runs SQL as the server's root over its socket (no password; not reachable over TCP). */
  async asRoot(sql: string): Promise<string> {
    const result = await execa(this.client, ['--no-defaults', `--socket=${join(this.dir, 'run', 'sock')}`, '--user=root', '--batch', '--skip-column-names', '-e', sql], { stdin: 'ignore' });
    return String(result.stdout);
  }

  /** The server's error log (a crash writes its stack trace there); gone after stop(). */
  get serverLog(): string {
    return join(this.dir, 'run', 'server.log');
  }

  /** The `-D` URL for csync2, with the password in it (csync2 names the database `csync2_<host>`). */
  get url(): string {
    return `mysql://csync2:${this.password}@127.0.0.1:${this.port}/`;
  }

  async stop(): Promise<void> {
    this.server.kill('SIGTERM');
    const timer = setTimeout(() => this.server.kill('SIGKILL'), 30_000);
    await this.server;
    clearTimeout(timer);
    await rm(this.dir, { recursive: true, force: true });
  }
}

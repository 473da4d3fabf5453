import { chmod, chown, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { randomBytes } from 'node:crypto';

/** Debian's PostgreSQL binaries (`apt-get install postgresql`): the newest /usr/lib/postgresql/N/bin, if any. */
export async function postgresBinDir(root = '/usr/lib/postgresql'): Promise<string | undefined> {
  let versions: string[];
  try {
    versions = await readdir(root);
  } catch {
    return undefined;
  }
  const sorted = versions.filter((name) => /^\d+$/.test(name)).sort((a, b) => Number(b) - Number(a));
  for (const version of sorted) {
    const bin = join(root, version, 'bin');
    if (existsSync(join(bin, 'initdb')) && existsSync(join(bin, 'pg_ctl'))) return bin;
  }
  return undefined;
}

/** `nobody`, as the server runs when we are root (PostgreSQL refuses to run as root). */
const SERVER_USER = { name: 'nobody', uid: 65534, gid: 65534 };

/**
 * A PostgreSQL server of its own in a temporary directory, on 127.0.0.1 and a
 * random port, with one login role `csync2` (password auth over TCP) that may
 * create databases: csync2 creates `csync2_<host>` itself on first use.
 * Stopped and removed by `stop()`. For tests and benchmarks only.
 */
export class PrivatePostgres {
  private constructor(
    readonly dir: string,
    readonly port: number,
    readonly password: string,
    private readonly bin: string,
    private readonly asRoot: boolean,
  ) {}

  static async start(options: { parent?: string; bin?: string } = {}): Promise<PrivatePostgres> {
    const bin = options.bin ?? (await postgresBinDir());
    if (!bin) throw new Error('PostgreSQL is not installed (apt-get install -y postgresql)');
    const asRoot = userInfo().uid === 0;
    const dir = await mkdtemp(join(options.parent ?? tmpdir(), 'inotify-csync-pg-'));
    await chmod(dir, 0o755);
    const data = join(dir, 'data');
    await mkdir(data, { mode: 0o700 });
    const password = randomBytes(12).toString('hex');
    const passwordFile = join(dir, 'password');
    await writeFile(passwordFile, `${password}\n`, { mode: 0o644 });
    if (asRoot) await chown(data, SERVER_USER.uid, SERVER_USER.gid);
    const run = (command: string, args: string[]) =>
      asRoot ? execa('runuser', ['-u', SERVER_USER.name, '--', join(bin, command), ...args], { stdin: 'ignore' }) : execa(join(bin, command), args, { stdin: 'ignore' });
    await run('initdb', ['-D', data, '-U', 'csync2', '--auth-local=trust', '--auth-host=scram-sha-256', `--pwfile=${passwordFile}`, '--no-sync']);
    await rm(passwordFile);
    for (let attempt = 0; ; attempt++) {
      const port = 30000 + Math.floor(Math.random() * 20000);
      try {
        await run('pg_ctl', ['-D', data, '-l', join(data, 'server.log'), '-w', '-t', '30', 'start', '-o', `-k ${data} -p ${port} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200`]);
        return new PrivatePostgres(dir, port, password, bin, asRoot);
      } catch (error) {
        if (attempt >= 3) {
          await rm(dir, { recursive: true, force: true });
          throw error;
        }
      }
    }
  }

  /** The `-D` URL for csync2, with the password in it. */
  get url(): string {
    return `pgsql://csync2:${this.password}@127.0.0.1:${this.port}/`;
  }

  /** The same without the password (for a libpq password file). */
  get bareUrl(): string {
    return `pgsql://csync2@127.0.0.1:${this.port}/`;
  }

  async stop(): Promise<void> {
    const data = join(this.dir, 'data');
    const args = ['-D', data, '-m', 'fast', '-w', '-t', '30', 'stop'];
    await (this.asRoot
      ? execa('runuser', ['-u', SERVER_USER.name, '--', join(this.bin, 'pg_ctl'), ...args], { stdin: 'ignore', reject: false })
      : execa(join(this.bin, 'pg_ctl'), args, { stdin: 'ignore', reject: false }));
    await rm(this.dir, { recursive: true, force: true });
  }
}

import assert from 'node:assert/strict';
import { execa } from 'execa';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { copyFile, mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { DAEMON_ENV, DAEMON_NODE_FLAGS, DAEMON_SHEBANG } from '../../src/process/node-flags.js';
import { childRunning } from '../helpers/processes.js';
import { gone, holds, waitFor } from '../helpers/wait.js';

const run = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BUNDLES = ['inotify-csync.mjs', 'inotify-csync-node.mjs'];

// Black-box: the single files of `npm run bundle`, copied to a directory with
// no node_modules, must answer like the CLI and keep a real cluster in sync.
describe('single-file bundle', () => {
  let dir: string;
  let bin: string;
  let nodeBin: string;
  let version: string;

  before(async () => {
    version = (JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { version: string }).version;
    if (await bundleIsStale()) await run(process.execPath, [join(ROOT, 'scripts/bundle.mjs')], { cwd: ROOT });
    dir = await mkdtemp(join(tmpdir(), 'inotify-csync-bundle-'));
    for (const name of BUNDLES) await copyFile(join(ROOT, 'dist', name), join(dir, name));
    bin = join(dir, 'inotify-csync.mjs');
    nodeBin = join(dir, 'inotify-csync-node.mjs');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  /** Runs a copied bundle directly (its shebang), never throwing. */
  async function exec(file: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    try {
      const { stdout, stderr } = await run(file, args, { cwd: dir, env: { ...process.env, NODE_PATH: '' } });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const failed = error as { code?: number; stdout?: string; stderr?: string };
      return { code: typeof failed.code === 'number' ? failed.code : -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
    }
  }

  test('is one executable file with a shebang, next to no node_modules', async () => {
    assert.deepEqual((await readdir(dir)).sort(), [...BUNDLES].sort());
    for (const name of BUNDLES) {
      const file = join(dir, name);
      assert.equal((await stat(file)).mode & 0o777, 0o755, `${name} mode`);
      assert.ok((await readFile(file, 'utf8')).startsWith(`${DAEMON_SHEBANG}\n`), `${name} starts node with the daemon's options`);
    }
  });

  test('--version prints the version of package.json', async () => {
    const result = await exec(bin, ['--version']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, new RegExp(`^inotify-csync/${version.replaceAll('.', '\\.')} `));
  });

  test('--help works', async () => {
    const result = await exec(bin, ['--help']);
    assert.equal(result.code, 0, result.stderr);
    assert.match(result.stdout, /Usage:\s+\$ inotify-csync \[options\] \[csync2 options\]/);
    assert.match(result.stdout, /--check-interval/);
  });

  test('a bad option exits 2 with its message', async () => {
    const unknown = await exec(bin, ['--bogus-option']);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /unknown option --bogus-option/);
    const value = await exec(bin, ['--check-interval', 'soon']);
    assert.equal(value.code, 2);
    assert.match(value.stderr, /--check-interval soon/);
  });

  test('the node entry answers --help and refuses a node outside the cluster (exit 2)', async () => {
    const help = await exec(nodeBin, ['--help']);
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: inotify-csync-node/);
    const outside = await exec(nodeBin, ['--nodes', 'node1,node2', '--node', 'node3']);
    assert.equal(outside.code, 2);
    assert.match(outside.stderr, /this node 'node3' is not in the cluster nodes/);
  });

  test('run by its shebang, the daemon is a node with the low-memory options and environment', async () => {
    const cluster = await LocalCluster.create({ nodes: 2 });
    await cluster.startServer(1);
    const daemon = execa(bin, [...cluster.csync2Args(0), '--queue-file', join(cluster.root, 'queue', 'queue'), '--disable-rsync'], { env: cluster.env, all: true, reject: false });
    try {
      let output = '';
      daemon.all?.on('data', (chunk: Buffer) => (output += String(chunk)));
      await waitFor(() => / running: watching \d+ root/.test(output), 'the daemon started from the bundle runs', 30_000);
      const argv = (await readFile(`/proc/${daemon.pid}/cmdline`, 'utf8')).split('\0');
      assert.match(argv[0] ?? '', /node$/, 'env replaced itself with node');
      assert.deepEqual(argv.slice(1, 1 + DAEMON_NODE_FLAGS.length), [...DAEMON_NODE_FLAGS]);
      const environ = (await readFile(`/proc/${daemon.pid}/environ`, 'utf8')).split('\0');
      for (const [name, value] of Object.entries(DAEMON_ENV)) assert.ok(environ.includes(`${name}=${value}`), `env set ${name}=${value}`);
      // ... for node only: inotifywait runs with glibc's defaults.
      const inotifywait = await waitFor(() => childRunning(daemon.pid as number, 'inotifywait'), 'the inotifywait child', 5000);
      const childEnviron = (await readFile(`/proc/${inotifywait}/environ`, 'utf8')).split('\0');
      for (const name of Object.keys(DAEMON_ENV)) assert.ok(!childEnviron.some((entry) => entry.startsWith(`${name}=`)), `inotifywait has no ${name}`);
      assert.doesNotMatch(output, /Warning: disabling flag/, 'V8 prints no warning about the flags');
    } finally {
      daemon.kill('SIGTERM');
      await daemon;
      await cluster.destroy();
    }
  });

  // Thread mode: the batch reader's worker loads the bundle itself as its entry.
  test('syncs a two-node cluster as the daemon on both nodes (--mode thread)', async () => {
    const cluster = await LocalCluster.create({ nodes: 2 });
    const daemons = [0, 1].map((index) => DaemonProcess.start(cluster, index, { entry: bin, args: ['--mode', 'thread'] }));
    try {
      await Promise.all(daemons.map((daemon) => daemon.ready()));
      await expectSync(cluster.node(0).dir, cluster.node(1).dir, 'from-bundle.bin');
      await expectSync(cluster.node(1).dir, cluster.node(0).dir, 'back.bin');
    } finally {
      await Promise.all(daemons.map((daemon) => daemon.stop()));
      await cluster.destroy();
    }
  });

  // The node entry docker/ runs, on loopback: both nodes start at once on an
  // empty etc directory, write csync2.cfg and race for the key.
  test('the node entry writes config and key and runs the daemon (--mode thread)', async () => {
    const cluster = await LocalCluster.create({ nodes: 2 });
    const etc = join(cluster.root, 'etc-entry');
    const nodes = cluster.nodes.map((node) => `${node.host}:${node.dir}`).join(',');
    const daemons = [0, 1].map((index) =>
      DaemonProcess.start(cluster, index, {
        entry: nodeBin,
        csync2Args: ['--nodes', nodes, '--node', cluster.node(index).host, '--etc', etc, '--tempdir', join(cluster.root, 'tmp-entry'),
          '--', '-D', cluster.node(index).db, '-p', String(cluster.port)],
        args: ['--mode', 'thread'],
      }),
    );
    try {
      await Promise.all(daemons.map((daemon) => daemon.ready()));
      const config = await readFile(join(etc, 'csync2.cfg'), 'utf8');
      assert.match(config, new RegExp(`key ${join(etc, 'csync2.key')};`));
      assert.deepEqual((await readdir(etc)).sort(), ['csync2.cfg', 'csync2.key']);
      await expectSync(cluster.node(0).dir, cluster.node(1).dir, 'via-entry.bin');
      await rm(join(cluster.node(0).dir, 'via-entry.bin'));
      await waitFor(() => gone(join(cluster.node(1).dir, 'via-entry.bin')), 'via-entry.bin gone from the peer', 10_000);
    } finally {
      await Promise.all(daemons.map((daemon) => daemon.stop()));
      await cluster.destroy();
    }
  });
});

/** Writes random bytes under `from` and waits until `to` holds the same bytes. */
async function expectSync(from: string, to: string, name: string): Promise<void> {
  const bytes = randomBytes(64 * 1024);
  await writeFile(join(from, name), bytes);
  await waitFor(() => holds(join(to, name), bytes), `${name} on the peer`, 10_000);
}

/** True when a bundle is missing or older than a source file or package.json. */
async function bundleIsStale(): Promise<boolean> {
  let oldest = Infinity;
  for (const name of BUNDLES) {
    const info = await stat(join(ROOT, 'dist', name)).catch(() => undefined);
    if (!info) return true;
    oldest = Math.min(oldest, info.mtimeMs);
  }
  const sources = [join(ROOT, 'package.json'), join(ROOT, 'scripts/bundle.mjs')];
  for (const entry of await readdir(join(ROOT, 'src'), { recursive: true, withFileTypes: true })) {
    if (entry.isFile()) sources.push(join(entry.parentPath, entry.name));
  }
  for (const file of sources) if ((await stat(file)).mtimeMs > oldest) return true;
  return false;
}

import assert from 'node:assert/strict';
import { execa, type ResultPromise } from 'execa';
import { chmod, mkdir, readFile, readdir, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { CLI_ENTRY, DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { holds, waitFor } from '../helpers/wait.js';

// The instance lock against an unprivileged local user (uid 65534), who may
// try anything before the daemon (root) starts: the lock must be one that only
// the daemon's user can take. The queue directory is made 0755 here, the most
// the daemon accepts, so that user can reach it.
const SQUATTER = fileURLToPath(new URL('../fixtures/lock/squat-lock.mjs', import.meta.url));
const HOLDER = fileURLToPath(new URL('../fixtures/lock/hold-lock.ts', import.meta.url));
const RACER = fileURLToPath(new URL('../fixtures/lock/race-lock.ts', import.meta.url));
const NOBODY = ['--reuid', '65534', '--regid', '65534', '--clear-groups'];

let cluster: LocalCluster;
let queue: string;
const squatters: ResultPromise[] = [];

before(async () => {
  cluster = await LocalCluster.create({ nodes: 2 });
  await cluster.startServer(1);
  queue = join(cluster.root, 'queue-0', 'queue');
  await chmod(cluster.root, 0o755);
  await mkdir(join(cluster.root, 'queue-0'), { mode: 0o755 });
  await chmod(join(cluster.root, 'queue-0'), 0o755);
});

after(async () => {
  for (const squatter of squatters) squatter.kill('SIGKILL');
  await Promise.all(squatters);
  await cluster.destroy();
});

/** The holder sockets in the queue directory. */
async function holderSockets(): Promise<string[]> {
  return (await readdir(join(cluster.root, 'queue-0'))).filter((name) => /^queue\.lock\.\d+-[0-9a-f]{8}\.sock$/.test(name));
}

/** Runs the squatter as uid 65534 (inside its own user and mount namespace with `mount`) and returns what its attempts got. */
async function squat(mode?: 'mount'): Promise<Record<string, string>> {
  const namespace = mode === 'mount' ? ['unshare', '-Urm', '--'] : [];
  const squatter = execa('setpriv', [...NOBODY, ...namespace, process.execPath, SQUATTER, `${queue}.lock`, ...(mode ? [mode] : [])], {
    reject: false,
    stdin: 'ignore',
  });
  squatters.push(squatter);
  let out = '';
  squatter.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  let err = '';
  squatter.stderr.setEncoding('utf8').on('data', (chunk: string) => (err += chunk));
  const line = await waitFor(() => {
    if (squatter.exitCode !== null) throw new Error(`the squatter exited (${squatter.exitCode}): ${err}`);
    return /^attempts (.*)$/m.exec(out)?.[1];
  }, 'the squatter to report its attempts', 10_000);
  return JSON.parse(line as string) as Record<string, string>;
}

test('uid 65534 binds the old abstract lock name and tries every lock path first: the daemon still starts, takes the lock, and status sees it', async () => {
  const before = await squat();
  assert.equal(before['bind @inotify-csync/<sha256 of the lock path>'], 'taken', 'abstract names have no permissions: any user binds them');
  for (const [what, got] of Object.entries(before)) {
    if (what.startsWith('bind queue.lock') || what.startsWith('create ') || what.startsWith('symlink ') || what.startsWith('mkdir ')) {
      assert.equal(got, 'EACCES', `${what} in the root-owned queue directory`);
    }
  }
  // Inside its own user and mount namespace it may put a tmpfs over the queue directory and bind every name there.
  const mounted = await squat('mount');
  assert.equal(mounted['bind queue.lock.sock'], 'taken', 'its sockets show in /proc/net/unix under the queue directory\'s path');

  const daemon = DaemonProcess.start(cluster, 0);
  let stopped: number | undefined;
  try {
    await daemon.ready();
    assert.equal(await readFile(`${queue}.lock`, 'utf8'), `${daemon.pid}\n`, 'the lock file names the daemon');
    const holders = await holderSockets();
    assert.deepEqual(holders.map((name) => name.split('-')[0]), [`queue.lock.${daemon.pid}`], 'one holder socket, the daemon\'s');
    const socket = await stat(join(cluster.root, 'queue-0', holders[0] as string));
    assert.equal(socket.uid, 0);
    assert.equal(socket.mode & 0o777, 0o600);

    // While it runs, the same user cannot connect to its socket either.
    const during = await squat();
    const connects = Object.entries(during).filter(([what]) => what.startsWith('connect '));
    assert.ok(connects.length > 0, `the squatter saw the holder socket: ${JSON.stringify(during)}`);
    for (const [what, got] of connects) assert.equal(got, 'EACCES', what);

    const status = await execa(process.execPath, [CLI_ENTRY, 'status', '--queue-file', queue], { reject: false, stdin: 'ignore' });
    assert.equal(status.exitCode, 0, `status: ${status.stdout}${status.stderr}`);
  } finally {
    stopped = await daemon.stop();
  }
  assert.equal(stopped, 0, daemon.log);
  assert.deepEqual((await readdir(join(cluster.root, 'queue-0'))).filter((name) => name.startsWith('queue.lock')), [], 'a clean stop leaves no lock file and no socket');
});

test('SIGKILLed while uid 65534 still squats: the next start takes the lock over its dead socket and runs RECOVERY', async () => {
  const first = DaemonProcess.start(cluster, 0);
  await first.ready();
  await writeFile(join(cluster.node(0).dir, 'before-the-kill'), 'queued\n');
  await waitFor(() => holds(join(cluster.node(1).dir, 'before-the-kill'), 'queued\n'), 'the file on the peer', 10_000);
  process.kill(first.pid as number, 'SIGKILL');
  await first.subprocess;
  assert.equal((await holderSockets()).length, 1, 'SIGKILL leaves the dead daemon\'s socket file');

  const next = DaemonProcess.start(cluster, 0);
  let stopped: number | undefined;
  try {
    await next.ready();
    assert.match(next.log, new RegExp(`RECOVERY: the previous daemon \\(PID ${first.pid}\\) did not stop cleanly; sending its [1-9]\\d* last queued paths again`));
    assert.deepEqual((await holderSockets()).map((name) => name.split('-')[0]), [`queue.lock.${next.pid}`], 'the dead socket is gone');
  } finally {
    stopped = await next.stop();
  }
  assert.equal(stopped, 0, next.log);
});

test('four daemons\' locks taken at the same moment over a dead daemon\'s socket: one takes it (and learns the dead PID), three are refused naming it', async () => {
  const lockFile = `${queue}.lock`;
  const dead = execa(process.execPath, ['--import', 'tsx', HOLDER, lockFile], { reject: false, stdin: 'ignore' });
  let out = '';
  dead.stdout?.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  await waitFor(() => /^held (\d+)$/m.exec(out), 'the holder to take the lock', 10_000);
  const grandchild = Number(/^held (\d+)$/m.exec(out)?.[1]);
  process.kill(dead.pid as number, 'SIGKILL');
  await dead;
  process.kill(grandchild, 'SIGKILL');

  const racers = Array.from({ length: 4 }, () => {
    const racer = execa(process.execPath, ['--import', 'tsx', RACER, lockFile], { reject: false, stdin: 'pipe' });
    const said = { text: '' };
    racer.stdout.setEncoding('utf8').on('data', (chunk: string) => (said.text += chunk));
    return { racer, said };
  });
  try {
    await waitFor(() => racers.every(({ said }) => said.text.includes('ready\n')), 'four racers ready', 20_000);
    for (const { racer } of racers) racer.stdin.write('go\n');
    const outcomes = await waitFor(() => {
      const lines = racers.map(({ said }) => /^(took it|refused).*$/m.exec(said.text)?.[0]);
      return lines.every((line) => line !== undefined) ? (lines as string[]) : undefined;
    }, 'each racer to take the lock or be refused', 10_000);
    assert.ok(outcomes);
    const winners = racers.filter((_, index) => outcomes[index]?.startsWith('took it'));
    assert.equal(winners.length, 1, outcomes.join('\n'));
    assert.ok(outcomes.includes(`took it (died ${dead.pid})`), outcomes.join('\n'));
    for (const outcome of outcomes.filter((line) => line.startsWith('refused'))) {
      assert.match(outcome, new RegExp(`^refused: another inotify-csync \\(PID ${winners[0]?.racer.pid}, uid 0\\) already runs`));
    }
  } finally {
    for (const { racer } of racers) racer.stdin.end();
    await Promise.all(racers.map(({ racer }) => racer));
  }
  assert.deepEqual(await holderSockets(), [], 'each racer took its socket away');
});

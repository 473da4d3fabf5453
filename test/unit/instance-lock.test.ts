import assert from 'node:assert/strict';
import { execa } from 'execa';
import { mkdtemp, readdir, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InstanceLock, lockFilePath, lockHeld } from '../../src/daemon/instance-lock.js';
import { alive } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const HOLDER = fileURLToPath(new URL('../fixtures/lock/hold-lock.ts', import.meta.url));

const UID = process.geteuid?.() ?? 0;

let dir: string;
/** The holder sockets of a queue's lock in the test directory. */
async function holderSockets(queueName: string): Promise<string[]> {
  return (await readdir(dir)).filter((name) => name.startsWith(`${queueName}.lock.`) && name.endsWith('.sock'));
}

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'inotify-csync-lock-'));
});
after(() => rm(dir, { recursive: true, force: true }));

test('a lock file naming a live process that does not hold the lock (PID 1 after a reboot) is taken over and reported as died', async () => {
  const path = lockFilePath(join(dir, 'pid1.queue'));
  await writeFile(path, '1\n');
  const lock = new InstanceLock(path);
  assert.equal(await lock.acquire('h'), 1, 'the PID whose queue RECOVERY sends again');
  assert.equal(await readFile(path, 'utf8'), `${process.pid}\n`);
  lock.release();
  await assert.rejects(readFile(path), { code: 'ENOENT' }, 'a clean release removes the file');
  const again = new InstanceLock(path);
  assert.equal(await again.acquire('h'), undefined, 'after a clean release nothing died');
  again.release();
});

test('a second holder is refused with one line naming the first PID; the same queue spelled through a symbolic link is the same lock', async () => {
  const queue = join(dir, 'twice.queue');
  await symlink(dir, join(dir, 'link'));
  const first = new InstanceLock(lockFilePath(queue));
  await first.acquire('h');
  try {
    for (const spelling of [queue, join(dir, 'link', 'twice.queue')]) {
      await assert.rejects(new InstanceLock(lockFilePath(spelling)).acquire('h'), {
        message: `another inotify-csync (PID ${process.pid}, uid ${UID}) already runs for host h (lock file ${lockFilePath(spelling)}): stop it first, or give this one its own --queue-file`,
      });
    }
    assert.equal(await readFile(lockFilePath(queue), 'utf8'), `${process.pid}\n`, 'the refused one leaves the file alone');
    assert.equal((await holderSockets('twice.queue')).length, 1, 'the refused ones leave no socket behind');
  } finally {
    first.release();
  }
});

test('the lock file is written fresh: a symbolic link there is replaced, its target left alone', async () => {
  const target = join(dir, 'precious');
  await writeFile(target, 'keep\n');
  const path = lockFilePath(join(dir, 'linked.queue'));
  await symlink(target, path);
  const lock = new InstanceLock(path);
  await lock.acquire('h');
  lock.release();
  assert.equal(await readFile(target, 'utf8'), 'keep\n');
});

test('killed with SIGKILL while a child it started lives on: the kernel frees the lock, the next holder learns the dead PID', async (t) => {
  const path = lockFilePath(join(dir, 'killed.queue'));
  const holder = execa(process.execPath, ['--import', 'tsx', HOLDER, path], { reject: false, stdin: 'ignore' });
  let grandchild: number | undefined;
  t.after(() => {
    if (grandchild !== undefined && alive(grandchild)) process.kill(grandchild, 'SIGKILL');
    if (holder.exitCode === null) holder.kill('SIGKILL');
  });
  let out = '';
  holder.stdout.setEncoding('utf8').on('data', (chunk: string) => (out += chunk));
  const held = await waitFor(() => /^held (\d+)$/m.exec(out)?.[1], 'the holder to take the lock and start its child', 10_000);
  grandchild = Number(held);
  await assert.rejects(new InstanceLock(path).acquire('h'), { message: new RegExp(`^another inotify-csync \\(PID ${holder.pid}, uid ${UID}\\) already runs`) });
  process.kill(holder.pid as number, 'SIGKILL');
  await holder;
  assert.ok(alive(grandchild), 'the child outlives its parent, as csync2 -ii sessions can');
  const [left] = await holderSockets('killed.queue');
  assert.match(left ?? '', new RegExp(`^killed\\.queue\\.lock\\.${holder.pid}-[0-9a-f]{8}\\.sock$`), 'SIGKILL leaves the socket file');
  assert.equal(lockHeld(path), false, 'nobody listens on it');
  const next = new InstanceLock(path);
  assert.equal(await next.acquire('h'), holder.pid);
  assert.deepEqual((await holderSockets('killed.queue')).map((name) => name.split('-')[0]), [`killed.queue.lock.${process.pid}`], 'the dead socket is removed, ours is there');
  next.release();
});

test('lockHeld reads /proc/net/unix: true while a lock is held, false once released', async () => {
  const path = lockFilePath(join(dir, 'probe.queue'));
  assert.equal(lockHeld(path), false);
  const lock = new InstanceLock(path);
  await lock.acquire('h');
  assert.equal(lockHeld(path), true);
  assert.equal(lockHeld(lockFilePath(join(dir, 'other.queue'))), false, 'another queue\'s lock is not this one');
  lock.release();
  await waitFor(() => lockHeld(path) === false, 'the socket to be gone after release');
  assert.equal(lockHeld(path, join(dir, 'no-such-table')), undefined);
});

test('lockHeld: a socket bound under a holder\'s name in another mount namespace (unshare -Urm, any user) is not the lock without its file here', async () => {
  const path = lockFilePath(join(dir, 'spoofed.queue'));
  const table = join(dir, 'net-unix');
  const row = (bound: string): string => `0000000000000000: 00000002 00000000 00010000 0001 01 4242 ${bound}`;
  await writeFile(table, ['Num       RefCount Protocol Flags    Type St Inode Path', row(`${path}.1-00000000.bind`), ''].join('\n'));
  assert.equal(lockHeld(path, table), false);
  const lock = new InstanceLock(path);
  await lock.acquire('h');
  try {
    const [name] = await holderSockets('spoofed.queue');
    await writeFile(table, ['Num       RefCount Protocol Flags    Type St Inode Path', row(join(dir, (name as string).replace(/\.sock$/, '.bind'))), ''].join('\n'));
    assert.equal(lockHeld(path, table), true);
  } finally {
    lock.release();
  }
});

test('the lock is QUEUE.lock.PID-NONCE.sock in the queue directory, for its owner only; a release removes it', async () => {
  const lock = new InstanceLock(lockFilePath(join(dir, 'file.queue')));
  await lock.acquire('h');
  const [name] = await holderSockets('file.queue');
  assert.match(name ?? '', new RegExp(`^file\\.queue\\.lock\\.${process.pid}-[0-9a-f]{8}\\.sock$`));
  const socket = await stat(join(dir, name as string));
  assert.ok(socket.isSocket());
  assert.equal(socket.mode & 0o777, 0o600);
  assert.equal(socket.uid, UID);
  const other = new InstanceLock(lockFilePath(join(dir, 'file-other.queue')));
  await other.acquire('h');
  other.release();
  lock.release();
  assert.deepEqual(await holderSockets('file.queue'), []);
});

test('daemons starting at once over a dead daemon\'s lock: exactly one takes it and learns the dead PID, the others are refused', async () => {
  const path = lockFilePath(join(dir, 'race.queue'));
  for (let round = 0; round < 5; round++) {
    await writeFile(path, '1\n');
    const locks = Array.from({ length: 4 }, () => new InstanceLock(path));
    const results = await Promise.allSettled(locks.map((lock) => lock.acquire('h')));
    const won = results.flatMap((result, index) => (result.status === 'fulfilled' ? [{ died: result.value, lock: locks[index] as InstanceLock }] : []));
    assert.equal(won.length, 1, `round ${round}: ${results.map((result) => (result.status === 'fulfilled' ? 'took it' : String(result.reason))).join('; ')}`);
    assert.equal(won[0]?.died, 1);
    for (const result of results) {
      if (result.status === 'rejected') assert.match(String(result.reason), new RegExp(`another inotify-csync \\(PID ${process.pid}, uid ${UID}\\) already runs`));
    }
    assert.equal((await holderSockets('race.queue')).length, 1);
    won[0]?.lock.release();
  }
});

test('a queue path too long for a socket file is refused with the fix', async () => {
  const path = lockFilePath(join(dir, `${'q'.repeat(100)}.queue`));
  await assert.rejects(new InstanceLock(path).acquire('h'), { message: /\.PID-NONCE\.sock can be \d+ bytes long, more than the 107 a unix socket path may have: choose a shorter --queue-file$/ });
});

import assert from 'node:assert/strict';
import { execa } from 'execa';
import { mkdtemp, readFile, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { InstanceLock, lockFilePath, lockHeld, lockSocketFile, lockSocketName } from '../../src/daemon/instance-lock.js';
import { abstractNamesWork } from '../../src/daemon/lock-socket.js';
import { alive } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

const HOLDER = fileURLToPath(new URL('../fixtures/lock/hold-lock.ts', import.meta.url));

let dir: string;
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
    assert.equal(lockSocketName(lockFilePath(join(dir, 'link', 'twice.queue'))), lockSocketName(lockFilePath(queue)));
    for (const spelling of [queue, join(dir, 'link', 'twice.queue')]) {
      await assert.rejects(new InstanceLock(lockFilePath(spelling)).acquire('h'), {
        message: `another inotify-csync (PID ${process.pid}) already runs for host h (lock file ${lockFilePath(spelling)}): stop it first, or give this one its own --queue-file`,
      });
    }
    assert.equal(await readFile(lockFilePath(queue), 'utf8'), `${process.pid}\n`, 'the refused one leaves the file alone');
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
  await assert.rejects(new InstanceLock(path).acquire('h'), { message: new RegExp(`^another inotify-csync \\(PID ${holder.pid}\\) already runs`) });
  process.kill(holder.pid as number, 'SIGKILL');
  await holder;
  assert.ok(alive(grandchild), 'the child outlives its parent, as csync2 -ii sessions can');
  const next = new InstanceLock(path);
  assert.equal(await next.acquire('h'), holder.pid);
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

// Node 18 cannot bind abstract names (lock-socket.ts): the same lock as a socket file, forced here on Node 20.
const noAbstractNames = () => Promise.resolve(false);

test('this Node binds abstract socket names (Node 18 does not: scripts/test-distro-node.sh runs that case)', async () => {
  assert.equal(await abstractNamesWork(), !process.version.startsWith('v18.'));
});

test('without abstract names the lock is QUEUE.lock.sock: a second holder is refused, lockHeld sees it, a release removes it', async () => {
  const path = lockFilePath(join(dir, 'file.queue'));
  const first = new InstanceLock(path, noAbstractNames);
  await first.acquire('h');
  try {
    await stat(lockSocketFile(path));
    assert.equal(lockHeld(path), true);
    await assert.rejects(new InstanceLock(path, noAbstractNames).acquire('h'), { message: new RegExp(`^another inotify-csync \\(PID ${process.pid}\\) already runs`) });
    const other = new InstanceLock(lockFilePath(join(dir, 'file-other.queue')), noAbstractNames);
    await other.acquire('h');
    other.release();
  } finally {
    first.release();
  }
  await assert.rejects(stat(lockSocketFile(path)), { code: 'ENOENT' });
  assert.equal(lockHeld(path), false);
});

test('without abstract names a socket file left by a SIGKILLed holder is taken over', async () => {
  const path = lockFilePath(join(dir, 'stale.queue'));
  const file = lockSocketFile(path);
  const script = `require('node:net').createServer().listen(${JSON.stringify(file)}, () => process.kill(process.pid, 'SIGKILL'))`;
  await execa(process.execPath, ['-e', script], { reject: false });
  await stat(file);
  assert.equal(lockHeld(path), false, 'nobody listens on the file a dead holder left');
  const lock = new InstanceLock(path, noAbstractNames);
  await lock.acquire('h');
  assert.equal(lockHeld(path), true);
  lock.release();
});

test('without abstract names a queue path too long for a socket file is refused with the fix', async () => {
  const path = lockFilePath(join(dir, `${'q'.repeat(120)}.queue`));
  await assert.rejects(new InstanceLock(path, noAbstractNames).acquire('h'), { message: /longer than the 107 bytes .* choose a shorter --queue-file$/ });
});

import { randomBytes } from 'node:crypto';
import { chmodSync, closeSync, constants, lstatSync, openSync, readSync, realpathSync, renameSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { InotifyCsyncError } from '../errors.js';
import { holderNamePattern, liveHolders, type LockHolder } from './lock-holders.js';
import { listen, listeningSockets, MAX_SOCKET_PATH_BYTES } from './lock-socket.js';

/** The lock file of the daemon that uses this queue file: it names the daemon's PID, for admins and the status file. */
export function lockFilePath(queueFile: string): string {
  return `${queueFile}.lock`;
}

/** How often a daemon that met another one still starting steps back and tries again, before it gives up. */
const START_RACE_ATTEMPTS = 8;

function canonicalPath(file: string): string {
  const absolute = resolve(file);
  try {
    return join(realpathSync(dirname(absolute)), basename(absolute));
  } catch {
    return absolute; // the directory does not exist yet: the absolute path is the best name
  }
}

/** The PID a lock file names, read without following a symbolic link; undefined when there is none. */
export function readLockPid(path: string): number | undefined {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK);
  } catch {
    return undefined;
  }
  try {
    const buffer = Buffer.alloc(32);
    const length = readSync(fd, buffer, 0, buffer.length, 0);
    const pid = Number.parseInt(buffer.toString('utf8', 0, length).trim(), 10);
    return Number.isInteger(pid) && pid > 0 ? pid : undefined;
  } catch {
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether some process holds the lock: a listening socket bound under its
 * name, in /proc/net/unix (readable by every user, so `status` needs no
 * privilege). That table shows the path a socket was bound to, a holder's
 * QUEUE.lock.PID-NONCE.bind, even for a socket bound in another mount
 * namespace (which any user can make with unshare -Urm): where this user can
 * look into the queue directory, the holder's QUEUE.lock.PID-NONCE.sock must
 * be there too. Undefined when the table cannot be read.
 */
export function lockHeld(lockFile: string, table = '/proc/net/unix'): boolean | undefined {
  const paths = listeningSockets(table);
  if (paths === undefined) return undefined;
  const canonical = canonicalPath(lockFile);
  const bound = holderNamePattern(canonical, 'bind');
  return paths.some((path) => dirname(path) === dirname(canonical) && bound.test(basename(path)) && socketFileThere(path.replace(/\.bind$/, '.sock')));
}

/** Whether a socket file is at `path`; true as well when this user may not look (the table is all there is to go on). */
function socketFileThere(path: string): boolean {
  try {
    return lstatSync(path).isSocket();
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EACCES';
  }
}

/** The refusal when another daemon holds the lock: who it is, as its socket tells. */
function heldBy(holder: LockHolder, lockFile: string, host: string): InotifyCsyncError {
  return new InotifyCsyncError(
    `another inotify-csync (PID ${holder.pid}, uid ${holder.uid}) already runs for host ${host} (lock file ${lockFile}): stop it first, or give this one its own --queue-file`,
  );
}

/**
 * One daemon per queue. The lock is a listening unix socket file in the
 * queue's directory, which only this user (or root) can write (the daemon
 * refuses one others can, see private-directory.ts), so no other local user
 * can take or block it. The kernel closes it when its holder dies however it
 * dies, and Node creates sockets close-on-exec, so children (csync2 -ii
 * sessions, inotifywait) never keep it. Node has no flock(2); a socket file,
 * unlike a held lock, outlives a killed holder, but nobody can connect to it
 * any more, and a file nobody answers on is removed by the next daemon.
 *
 * Two daemons starting at once must not both win: each binds a name of its
 * own (QUEUE.lock.PID-NONCE), renames it to its .sock name only once it
 * listens, and then looks for any other holder that answers. Of two that
 * overlap, the later to listen sees the earlier, so at most one finds nobody.
 * Both may see each other: one that sees a holder other than the one the
 * lock file names (that one runs) steps back for a random moment and tries
 * again.
 *
 * The lock file next to the queue names the PID, and is removed on a clean
 * stop: finding one means its daemon died.
 */
export class InstanceLock {
  private server: Server | undefined;
  private socketFile: string | undefined;

  constructor(readonly path: string) {}

  /** Takes the lock; returns the PID of a previous daemon that died holding it (it did not stop cleanly), if any. */
  async acquire(host: string): Promise<number | undefined> {
    const lockFile = canonicalPath(this.path);
    // Measured with the longest PID (pid_max is at most 4194304), so a path that works once works after any reboot.
    const longest = `${lockFile}.${'9'.repeat(7)}-${'f'.repeat(8)}.sock`;
    if (Buffer.byteLength(longest) > MAX_SOCKET_PATH_BYTES) {
      throw new InotifyCsyncError(`the lock socket ${lockFile}.PID-NONCE.sock can be ${Buffer.byteLength(longest)} bytes long, more than the ${MAX_SOCKET_PATH_BYTES} a unix socket path may have: choose a shorter --queue-file`);
    }
    for (let attempt = 1; ; attempt++) {
      // A new name each time: libuv removes the name a closed socket was bound to.
      const id = `${process.pid}-${randomBytes(4).toString('hex')}`;
      const socketFile = `${lockFile}.${id}.sock`;
      await this.listen(`${lockFile}.${id}.bind`, socketFile);
      const [holder] = await liveHolders(lockFile, socketFile);
      if (holder === undefined) break;
      this.withdraw();
      if (attempt === START_RACE_ATTEMPTS || holder.pid === readLockPid(this.path)) throw heldBy(holder, this.path, host);
      // Another daemon is starting too (the lock file does not name it yet): let one of us go first.
      await sleep(5 + Math.random() * 45);
    }

    // The lock is ours, so a lock file left here was never released: its daemon died.
    // Its PID may even be ours (a container's PID 1 restarted), so it is not compared.
    const died = readLockPid(this.path);
    try {
      this.writePid();
    } catch (error) {
      this.withdraw();
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new InotifyCsyncError(`cannot write the lock file ${this.path} (${code}): make its directory writable for this user or choose another with --queue-file`, { cause: error });
    }
    return died;
  }

  /** Listens on `bound`, for this user only, and only then gives the socket its holder's name. */
  private async listen(bound: string, socketFile: string): Promise<void> {
    // Any connection (a probe) is closed at once: the socket only has to exist.
    const server = createServer((socket) => socket.destroy());
    try {
      await listen(server, bound);
      this.server = server;
      chmodSync(bound, 0o600);
      renameSync(bound, socketFile);
      this.socketFile = socketFile;
    } catch (error) {
      this.withdraw();
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new InotifyCsyncError(`cannot take the lock for ${this.path}: binding the unix socket ${bound} failed (${code}): make its directory writable for this user or choose another with --queue-file`, { cause: error });
    }
    server.unref();
    // After listening, errors (a failed accept) only concern probes: the lock stays held.
    server.on('error', () => undefined);
  }

  /** A fresh file (never an existing one, a link or a symbolic link opened), holding this PID. */
  private writePid(): void {
    try {
      unlinkSync(this.path);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    }
    const fd = openSync(this.path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
    try {
      writeSync(fd, `${process.pid}\n`);
    } finally {
      closeSync(fd);
    }
  }

  /** Closes this daemon's socket and removes its file (libuv removes only the name it was bound to). */
  private withdraw(): void {
    if (this.socketFile !== undefined) {
      try {
        unlinkSync(this.socketFile);
      } catch {
        // already gone
      }
    }
    this.socketFile = undefined;
    this.server?.close();
    this.server = undefined;
  }

  release(): void {
    if (!this.server) return;
    // The file goes first: a daemon that takes the lock next must not read this PID as a dead one.
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
    this.withdraw();
  }
}

import { createHash } from 'node:crypto';
import { closeSync, constants, openSync, readSync, realpathSync, unlinkSync, writeSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { basename, dirname, join, resolve } from 'node:path';
import { InotifyCsyncError } from '../errors.js';
import { abstractNamesWork, listen, listeningSockets, listenOnFile, MAX_SOCKET_PATH_BYTES } from './lock-socket.js';

/** The lock file of the daemon that uses this queue file: it names the daemon's PID, for admins and the status file. */
export function lockFilePath(queueFile: string): string {
  return `${queueFile}.lock`;
}

/**
 * The abstract unix socket name that is the lock itself: derived from the
 * lock file's real path, so two spellings of one queue take the same lock.
 */
export function lockSocketName(lockFile: string): string {
  return `\0inotify-csync/${createHash('sha256').update(canonicalPath(lockFile)).digest('hex').slice(0, 32)}`;
}

/** Where the lock is a socket file instead (Node 18, see lock-socket.ts): next to the lock file, under its real path. */
export function lockSocketFile(lockFile: string): string {
  return `${canonicalPath(lockFile)}.sock`;
}

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
 * Whether some process holds the lock: a listening socket under its name in
 * /proc/net/unix (readable by every user, so `status` needs no privilege).
 * Undefined when that cannot be read.
 */
export function lockHeld(lockFile: string, table = '/proc/net/unix'): boolean | undefined {
  const names = listeningSockets(table);
  if (names === undefined) return undefined;
  return names.includes(`@${lockSocketName(lockFile).slice(1)}`) || names.includes(lockSocketFile(lockFile));
}

/**
 * One daemon per queue. The lock is a listening abstract unix socket, which
 * the kernel frees when its holder dies however it dies; a PID in a file
 * cannot tell a dead daemon from another process that got its PID after a
 * reboot. Node creates its sockets close-on-exec, so children (csync2 -ii
 * sessions, inotifywait) never keep the lock. Abstract names belong to the
 * network namespace: the unit must not use PrivateNetwork= (csync2 needs the
 * host's network anyway). The lock file next to the queue still names the
 * PID, and is removed on a clean stop: finding one means its daemon died.
 * Node 18 cannot bind abstract names: there the lock is the socket file
 * `QUEUE.lock.sock` (lock-socket.ts), taken over when no holder answers on it.
 */
export class InstanceLock {
  private server: Server | undefined;

  /** @param abstractNames whether abstract socket names work here (a test passes false to get Node 18's socket file) */
  constructor(
    readonly path: string,
    private readonly abstractNames: () => Promise<boolean> = abstractNamesWork,
  ) {}

  /** Takes the lock; returns the PID of a previous daemon that died holding it (it did not stop cleanly), if any. */
  async acquire(host: string): Promise<number | undefined> {
    // Any connection (a probe) is closed at once: the socket only has to exist.
    const server = createServer((socket) => socket.destroy());
    try {
      if (await this.abstractNames()) {
        await listen(server, lockSocketName(this.path));
      } else {
        const file = lockSocketFile(this.path);
        if (Buffer.byteLength(file) > MAX_SOCKET_PATH_BYTES) {
          throw new InotifyCsyncError(`the lock socket ${file} is longer than the ${MAX_SOCKET_PATH_BYTES} bytes a unix socket path may have (this Node cannot bind abstract socket names): choose a shorter --queue-file`);
        }
        await listenOnFile(server, file);
      }
    } catch (error) {
      if (error instanceof InotifyCsyncError) throw error;
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      if (code === 'EADDRINUSE') {
        const pid = readLockPid(this.path);
        throw new InotifyCsyncError(
          `another inotify-csync${pid === undefined ? '' : ` (PID ${pid})`} already runs for host ${host} (lock file ${this.path}): stop it first, or give this one its own --queue-file`,
          { cause: error },
        );
      }
      throw new InotifyCsyncError(`cannot take the lock for ${this.path}: binding its abstract unix socket failed (${code}); inotify-csync needs Linux`, { cause: error });
    }
    server.unref();
    // After listening, errors (a failed accept) only concern probes: the lock stays held.
    server.on('error', () => undefined);
    this.server = server;

    // The lock is ours, so a lock file left here was never released: its daemon died.
    // Its PID may even be ours (a container's PID 1 restarted), so it is not compared.
    const died = readLockPid(this.path);
    try {
      this.writePid();
    } catch (error) {
      this.closeServer();
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new InotifyCsyncError(`cannot write the lock file ${this.path} (${code}): make its directory writable for this user or choose another with --queue-file`, { cause: error });
    }
    return died;
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

  private closeServer(): void {
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
    this.closeServer();
  }
}

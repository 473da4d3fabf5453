import { randomBytes } from 'node:crypto';
import { readFileSync, unlinkSync } from 'node:fs';
import { connect, createServer, type Server } from 'node:net';

/** The longest path a unix socket can bind (sun_path is 108 bytes with its NUL); libuv 1.44 cuts longer ones silently. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Listens on a unix socket name or path; rejects with the bind error (EADDRINUSE when taken). */
export function listen(server: Server, name: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(name, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
}

/** The names listening sockets have in /proc/net/unix ('@' for an abstract name's NUL); undefined when it cannot be read. */
export function listeningSockets(table = '/proc/net/unix'): string[] | undefined {
  let text: string;
  try {
    text = readFileSync(table, 'utf8');
  } catch {
    return undefined;
  }
  const listening = 0x10000;
  return text.split('\n').flatMap((line) => {
    const fields = line.trim().split(/\s+/);
    const path = fields[7];
    // Node pads an abstract name with NULs, shown as '@' too.
    return path !== undefined && (Number.parseInt(fields[3] ?? '0', 16) & listening) !== 0 ? [path.replace(/@+$/, '')] : [];
  });
}

let probed: Promise<boolean> | undefined;

/**
 * Whether this Node binds abstract unix socket names. Node 18 (libuv 1.44's
 * uv_pipe_bind) cuts a name at its leading NUL, so every name becomes the same
 * all-NUL one: measured with Debian 12's nodejs 18.20.4, a second daemon on
 * another queue was refused. Probed once with a random name looked up in
 * /proc/net/unix; when that cannot be read, assumed to work.
 */
export function abstractNamesWork(): Promise<boolean> {
  probed ??= (async () => {
    const name = `inotify-csync-probe/${randomBytes(8).toString('hex')}`;
    const server = createServer();
    try {
      await listen(server, `\0${name}`);
    } catch {
      return false; // the all-NUL name is taken by another Node 18 process
    }
    try {
      return listeningSockets()?.includes(`@${name}`) ?? true;
    } finally {
      server.close();
    }
  })();
  return probed;
}

/** Whether a process listens on the socket file: a connection is accepted. A dead holder's file refuses it. */
function answers(path: string): Promise<boolean> {
  return new Promise((resolvePromise) => {
    const socket = connect(path);
    socket.once('connect', () => {
      socket.destroy();
      resolvePromise(true);
    });
    socket.once('error', (error: NodeJS.ErrnoException) => {
      socket.destroy();
      resolvePromise(error.code !== 'ECONNREFUSED' && error.code !== 'ENOENT');
    });
  });
}

/**
 * Binds the lock to a socket file where abstract names do not work. Unlike an
 * abstract name, the file outlives a killed holder: a file nobody answers on is
 * removed and bound again. Rejects with EADDRINUSE when a live holder answers.
 * The file is removed when the server closes (libuv unlinks it).
 */
export async function listenOnFile(server: Server, path: string): Promise<void> {
  try {
    await listen(server, path);
    return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EADDRINUSE' || (await answers(path))) throw error;
  }
  try {
    unlinkSync(path);
  } catch {
    // gone meanwhile: the bind below decides
  }
  await listen(server, path);
}

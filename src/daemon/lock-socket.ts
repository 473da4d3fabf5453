import { readFileSync } from 'node:fs';
import { connect, type Server } from 'node:net';

/** The longest path a unix socket can bind (sun_path is 108 bytes with its NUL); libuv 1.44 cuts longer ones silently. */
export const MAX_SOCKET_PATH_BYTES = 107;

/** Listens on a unix socket path; rejects with the bind error. */
export function listen(server: Server, path: string): Promise<void> {
  return new Promise((resolvePromise, reject) => {
    server.once('error', reject);
    server.listen(path, () => {
      server.off('error', reject);
      resolvePromise();
    });
  });
}

/** The paths listening sockets were bound to, from /proc/net/unix ('@' for an abstract name's NUL); undefined when it cannot be read. */
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

/**
 * Whether a process listens on the socket file: a connection is accepted (or
 * the backlog is full). A dead holder's file refuses it (ECONNREFUSED), and
 * stays refused: no socket can ever listen on that file again.
 */
export function answers(path: string): Promise<boolean> {
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

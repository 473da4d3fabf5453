import { lstatSync, readdirSync, unlinkSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { answers } from './lock-socket.js';

/** A daemon holding, or trying to take, a queue's instance lock: its socket file in the queue directory. */
export interface LockHolder {
  path: string;
  /** From the socket's name. */
  pid: number;
  /** The socket file's owner: the user the daemon runs as. */
  uid: number;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

/**
 * The names of a lock's holder sockets, next to the lock file QUEUE.lock: a
 * holder binds QUEUE.lock.PID-NONCE.bind and, once it listens, renames it to
 * QUEUE.lock.PID-NONCE.sock. Capture 1 is the PID.
 */
export function holderNamePattern(lockFile: string, suffix: 'sock' | 'bind'): RegExp {
  return new RegExp(`^${escapeRegExp(basename(lockFile))}\\.(\\d+)-[0-9a-f]{8}\\.${suffix}$`);
}

/**
 * The holders that answer on their socket, other than `own`. A socket file
 * nobody answers on was left by a daemon that died (a holder's socket gets
 * its name only once it listens, so it is never one still starting): it is
 * removed. Anything else under such a name (only this user or root can
 * create one there) is left alone.
 */
export async function liveHolders(lockFile: string, own: string): Promise<LockHolder[]> {
  const dir = dirname(lockFile);
  const pattern = holderNamePattern(lockFile, 'sock');
  const live: LockHolder[] = [];
  for (const name of readdirSync(dir)) {
    const match = pattern.exec(name);
    const path = join(dir, name);
    if (!match || path === own) continue;
    let uid: number;
    try {
      const stats = lstatSync(path);
      if (!stats.isSocket()) continue;
      uid = stats.uid;
    } catch {
      continue; // removed meanwhile
    }
    if (await answers(path)) {
      live.push({ path, pid: Number(match[1]), uid });
      continue;
    }
    try {
      unlinkSync(path);
    } catch {
      // removed meanwhile by another daemon starting
    }
  }
  return live;
}

import { readdirSync, readlinkSync } from 'node:fs';
import { tcpListenersOn } from './tcp-listeners.js';

/**
 * True once process `pid` holds a listening socket on `port`. csync2's
 * "Waiting for connections" line sits in its stdio buffer when stdout is a
 * pipe, so readiness is read from /proc instead. Undefined when /proc cannot tell.
 */
export function processListensOn(pid: number, port: number): boolean | undefined {
  let fds: string[];
  try {
    fds = readdirSync(`/proc/${pid}/fd`);
  } catch {
    return undefined;
  }
  const inodes = new Set(tcpListenersOn(port).map((listener) => listener.inode));
  if (inodes.size === 0) return false;
  for (const fd of fds) {
    try {
      const target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      const match = /^socket:\[(\d+)\]$/.exec(target);
      if (match?.[1] && inodes.has(match[1])) return true;
    } catch {
      // fd closed meanwhile
    }
  }
  return false;
}

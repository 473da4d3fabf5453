import { readdirSync, readFileSync, readlinkSync } from 'node:fs';
import { blocksAddress, tcpListenersOn } from './tcp-listeners.js';

/** A process that holds a listening socket on csync2's port. */
export interface PortHolder {
  pid: number;
  /** The process's command name (/proc/PID/comm). */
  command: string;
  /** The socket owner's uid. */
  uid: number;
}

/** What holds `port` for `address`: the socket owners' uids, and the processes that have it open (where /proc shows them). */
export function findPortHolders(address: string, port: number): { uids: number[]; holders: PortHolder[] } {
  const listeners = tcpListenersOn(port).filter((listener) => blocksAddress(listener.hexAddress, address));
  const uidOf = new Map(listeners.map((listener) => [listener.inode, listener.uid]));
  const holders: PortHolder[] = [];
  if (uidOf.size === 0) return { uids: [], holders };
  let pids: string[] = [];
  try {
    pids = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    // no /proc
  }
  for (const pid of pids) {
    let fds: string[];
    try {
      fds = readdirSync(`/proc/${pid}/fd`);
    } catch {
      continue; // gone, or not ours to read
    }
    for (const fd of fds) {
      let target: string;
      try {
        target = readlinkSync(`/proc/${pid}/fd/${fd}`);
      } catch {
        continue;
      }
      const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
      const uid = inode === undefined ? undefined : uidOf.get(inode);
      if (uid === undefined) continue;
      holders.push({ pid: Number(pid), command: commandOf(pid), uid });
      break;
    }
  }
  return { uids: [...new Set(uidOf.values())], holders };
}

function commandOf(pid: string): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
  } catch {
    return '?';
  }
}

/** Programs that serve csync2's port on purpose: csync2 -ii, inetd, xinetd, systemd (csync2.socket). */
const CSYNC2_SERVERS = /^(csync2|inetd|xinetd|openbsd-inetd|systemd)$/;

/** The inetd advice the daemon always gave: now only when nothing better is known. */
const INETD_FIX = "another csync2 server (csync2 -ii, inetd or xinetd, systemd's csync2.socket) already listens there; stop it (the inetd entry of Debian's csync2: update-inetd --disable csync2), or run with --no-server to keep it";

/**
 * The end of the EADDRINUSE message: who holds csync2's port (PID, uid,
 * command) and the fix. An unprivileged holder is called out: peers would send
 * it their sessions, and with `nossl` the group key.
 */
export function portInUseFix(address: string, port: number): string {
  const { uids, holders } = findPortHolders(address, port);
  if (holders.length === 0) {
    const unprivileged = uids.filter((uid) => uid !== 0);
    if (unprivileged.length > 0) {
      return `a socket of uid ${unprivileged.join(', ')} (its process is not visible here) already listens there: an unprivileged program holds csync2's port and would receive the peers' sessions (with nossl, the group key); find and end it (ss -ltnp 'sport = :${port}'), then start inotify-csync again`;
    }
    return INETD_FIX;
  }
  const named = holders.map((holder) => `PID ${holder.pid} (${holder.command}, uid ${holder.uid})`).join(', ');
  if (holders.some((holder) => holder.uid !== 0)) {
    return `${named} already listens there: an unprivileged program holds csync2's port and would receive the peers' sessions (with nossl, the group key); end it (kill ${holders.map((holder) => holder.pid).join(' ')}) and find out why it runs, then start inotify-csync again`;
  }
  if (holders.every((holder) => CSYNC2_SERVERS.test(holder.command))) {
    return `${named} already listens there, another csync2 server (csync2 -ii, inetd or xinetd, systemd's csync2.socket); stop it (the inetd entry of Debian's csync2: update-inetd --disable csync2), or run with --no-server to keep it`;
  }
  return `${named} already listens there; stop it or move it to another port, or run with --no-server if it is a csync2 server`;
}

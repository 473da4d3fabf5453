import { readFileSync, readlinkSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import { isDaemonTarget } from './rsync-target.js';

/**
 * Which processes named rsync may be a peer's delivery (INCOMING holds this
 * node's checks for them). A name and a working directory prove nothing: any
 * local user can run a script called rsync, or a copy of rsync, inside a
 * watched root. So a process counts only when it runs the rsync binary this
 * daemon itself runs (/proc/PID/exe and that file have the same device and
 * inode), as root or another trusted user; and it is a peer's delivery only
 * when it is rsync's receiving side under sshd or an rsync daemon.
 */

/** A file as the kernel names it: what /proc/PID/exe is compared by. */
export interface FileIdentity {
  dev: number;
  ino: number;
}

export interface RsyncTrust {
  /** The rsync binary the daemon runs (on PATH), read again on each look (a package upgrade replaces it). */
  binary: () => FileIdentity | undefined;
  /** Users whose rsync counts: root, the daemon's own user and the user `--rsync-target` logs in as. */
  uids: ReadonlySet<number>;
}

/** What one process is, as far as the hold is concerned. */
export type TrustedRsyncKind = 'peer' | 'local';

/** How far up a receiver's parents the sshd or rsync daemon that started it is looked for. */
const MAX_ANCESTORS = 16;

/** The device and inode of `path` (following links); undefined when it cannot be read. */
export function identityOf(path: string): FileIdentity | undefined {
  try {
    const stats = statSync(path);
    return { dev: stats.dev, ino: stats.ino };
  } catch {
    return undefined;
  }
}

interface ProcessStatus {
  uid: number;
  euid: number;
  ppid: number;
}

function statusOf(proc: string, pid: string | number): ProcessStatus | undefined {
  try {
    const text = readFileSync(`${proc}/${pid}/status`, 'latin1');
    const uids = /^Uid:\s+(\d+)\s+(\d+)/m.exec(text);
    const ppid = /^PPid:\s+(\d+)/m.exec(text);
    if (!uids || !ppid) return undefined;
    return { uid: Number(uids[1]), euid: Number(uids[2]), ppid: Number(ppid[1]) };
  } catch {
    return undefined;
  }
}

function argsOf(proc: string, pid: string | number): string[] {
  try {
    return readFileSync(`${proc}/${pid}/cmdline`, 'latin1').split('\0');
  } catch {
    return [];
  }
}

/** The base name of the program a process runs ('' when not ours to read). */
function programOf(proc: string, pid: string | number): string {
  try {
    return basename(readlinkSync(`${proc}/${pid}/exe`).replace(/ \(deleted\)$/, ''));
  } catch {
    return '';
  }
}

function runsBinary(proc: string, pid: string | number, binary: FileIdentity): boolean {
  const exe = identityOf(`${proc}/${pid}/exe`);
  return exe !== undefined && exe.dev === binary.dev && exe.ino === binary.ino;
}

/**
 * `rsync --server` whose parents include root's sshd (`sshd`, or `sshd-session`
 * of OpenSSH 9.8 and later) or root's rsync daemon: started for a peer.
 */
function startedBySshdOrRsyncDaemon(proc: string, ppid: number, binary: FileIdentity): boolean {
  for (let pid = ppid, depth = 0; pid > 1 && depth < MAX_ANCESTORS; depth++) {
    const status = statusOf(proc, pid);
    if (!status) return false;
    if (status.uid === 0) {
      const program = programOf(proc, pid);
      if (program === 'sshd' || program === 'sshd-session') return true;
      if (argsOf(proc, pid).includes('--daemon') && runsBinary(proc, pid, binary)) return true;
    }
    pid = status.ppid;
  }
  return false;
}

/**
 * What process `pid` (already known to be named rsync) is: a peer's delivery,
 * a trusted user's own local rsync, or nothing to wait for.
 */
export function trustedRsyncKind(pid: string, trust: RsyncTrust, proc = '/proc'): TrustedRsyncKind | undefined {
  const binary = trust.binary();
  if (!binary || !runsBinary(proc, pid, binary)) return undefined;
  const status = statusOf(proc, pid);
  if (!status || !trust.uids.has(status.uid) || !trust.uids.has(status.euid)) return undefined;
  const args = argsOf(proc, pid);
  // An rsync daemon's child (forked, so its command line is the daemon's), or one started per connection by systemd or inetd.
  if (args.includes('--daemon')) return 'peer';
  if (args.includes('--server') && startedBySshdOrRsyncDaemon(proc, status.ppid, binary)) return 'peer';
  return 'local';
}

/** The user an ssh `--rsync-target` logs in as (`user@{host}:{path}`); an rsync daemon's user is not a system user. */
export function rsyncLoginUser(target: string): string | undefined {
  if (isDaemonTarget(target)) return undefined;
  return /^([^@:/]+)@[^:]*:/.exec(target)?.[1];
}

/** A user's uid from /etc/passwd (a number is taken as it is). */
export function uidOf(user: string, passwd = '/etc/passwd'): number | undefined {
  if (/^\d+$/.test(user)) return Number(user);
  try {
    for (const line of readFileSync(passwd, 'utf8').split('\n')) {
      const [name, , uid] = line.split(':');
      if (name === user && uid !== undefined && /^\d+$/.test(uid)) return Number(uid);
    }
  } catch {
    // no passwd file: the user is unknown
  }
  return undefined;
}

/**
 * The trust the daemon uses: the rsync it finds on PATH, root, its own user,
 * and the user `--rsync-target` logs in as (peers log in here as that user too).
 */
export function rsyncTrustFor(target: string, rsyncPath: string | undefined, warn: (message: string) => void, ownUid = process.getuid?.() ?? 0): RsyncTrust {
  const uids = new Set([0, ownUid]);
  const user = rsyncLoginUser(target);
  const uid = user === undefined ? undefined : uidOf(user);
  if (uid !== undefined) uids.add(uid);
  else if (user !== undefined) warn(`INCOMING: user ${user} of --rsync-target ${target} is not in /etc/passwd: its rsync does not count as a peer's delivery here, only root's does (check the user name in --rsync-target)`);
  return { binary: () => (rsyncPath === undefined ? undefined : identityOf(rsyncPath)), uids };
}

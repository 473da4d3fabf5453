import { InotifyCsyncError } from '../errors.js';

/** sd_listen_fds(3): the first passed file descriptor; the others follow it. */
export const SD_LISTEN_FDS_START = 3;

/** One socket systemd passed: its fd and its FileDescriptorName= ("unknown" when unnamed). */
export interface ListenFd {
  fd: number;
  name: string;
}

/**
 * The sockets systemd passed to this process, as sd_listen_fds_with_names(3)
 * with unset_environment=1 reads them: only when LISTEN_PID is this process
 * (the variables may have been meant for a parent), LISTEN_FDS of them from
 * fd 3. LISTEN_PID, LISTEN_FDS and LISTEN_FDNAMES are removed from `env` in
 * every case, so children (csync2, inotifywait) never see them.
 */
export function takeListenFds(env: NodeJS.ProcessEnv = process.env, pid: number = process.pid): ListenFd[] {
  const { LISTEN_PID: listenPid, LISTEN_FDS: listenFds, LISTEN_FDNAMES: names } = env;
  delete env.LISTEN_PID;
  delete env.LISTEN_FDS;
  delete env.LISTEN_FDNAMES;
  if (listenPid === undefined) return [];
  if (!/^[1-9]\d*$/.test(listenPid)) throw new InotifyCsyncError(`LISTEN_PID=${listenPid} is not a process ID: start inotify-csync from its systemd socket unit, or without LISTEN_PID and LISTEN_FDS`);
  if (Number(listenPid) !== pid) return [];
  if (listenFds === undefined || !/^\d+$/.test(listenFds)) {
    throw new InotifyCsyncError(`LISTEN_FDS=${listenFds ?? ''} is not a number of sockets: start inotify-csync from its systemd socket unit, or without LISTEN_PID and LISTEN_FDS`);
  }
  const count = Number(listenFds);
  const named = names === undefined ? [] : names.split(':');
  return Array.from({ length: count }, (_, index) => ({ fd: SD_LISTEN_FDS_START + index, name: named.length === count ? (named[index] ?? 'unknown') : 'unknown' }));
}

/**
 * The one socket to serve csync2 peers on, from what systemd passed; undefined
 * when none (the daemon binds the port itself). More than one would leave the
 * others unanswered, so that is refused.
 */
export function csync2ListenFd(fds: readonly ListenFd[]): number | undefined {
  if (fds.length === 0) return undefined;
  const [only] = fds;
  if (fds.length === 1 && only) return only.fd;
  throw new InotifyCsyncError(`systemd passed ${fds.length} sockets (${fds.map((each) => `fd ${each.fd} ${each.name}`).join(', ')}); inotify-csync serves one: keep a single ListenStream= in inotify-csync@.socket (a port alone listens on every address)`);
}

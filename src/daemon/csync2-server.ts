import type { SyncScope } from '../config/types.js';
import { ConfigError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { Csync2Listener } from '../sync/csync2-listener.js';
import { listenAddresses, loopbackNameProblem } from '../sync/listen-address.js';
import { resolveAll } from '../sync/peer-addresses.js';
import { csync2ListenFd, takeListenFds } from '../systemd/listen-fds.js';
import type { ResolvedOptions } from './daemon-options.js';

/** Options each `csync2 -i` session gets, taken from the user's csync2 options. */
export function sessionArgs(csync2: ResolvedOptions['csync2']): string[] {
  return [
    '-N', csync2.host,
    ...(csync2.database ? ['-D', csync2.database] : []),
    ...(csync2.configName ? ['-C', csync2.configName] : []),
  ];
}

/** Refuses a host name that resolves to loopback while a peer is elsewhere (Debian's 127.0.1.1 line): such a node can neither send nor receive. */
export async function checkHostAddress(scope: Pick<SyncScope, 'host' | 'sessionPeers'>): Promise<void> {
  const addressesOf = async (name: string): Promise<string[]> => {
    try {
      return await resolveAll(name);
    } catch {
      return [];
    }
  };
  const own = await addressesOf(scope.host);
  const peers = await Promise.all(scope.sessionPeers.map(async (name) => ({ name, addresses: await addressesOf(name) })));
  const problem = loopbackNameProblem(scope.host, own, peers);
  if (problem) throw new ConfigError(problem);
}

/** This node's csync2 server: the daemon accepts peers' connections and runs `csync2 -i` on each (SessionGate). */
export async function startCsync2Server(csync2: ResolvedOptions['csync2'], scope: SyncScope, children: ChildProcesses, log: Logger): Promise<Csync2Listener> {
  const args = sessionArgs(csync2);
  // inotify-csync@.socket: systemd holds the port, also while the daemon restarts.
  const listenFd = csync2ListenFd(takeListenFds());
  const server = new Csync2Listener({
    children,
    log,
    host: csync2.host,
    addresses: listenAddresses(csync2.host, scope.ownAddress),
    port: Number(csync2.port ?? 30865),
    sessionArgs: args,
    peers: scope.sessionPeers,
    listenFd,
  });
  await server.start();
  const from = listenFd === undefined ? '' : ` (the socket systemd holds, fd ${listenFd})`;
  log.info(`SERVER: accepting csync2 peers on ${server.listening}${from}, from ${scope.sessionPeers.join(', ') || 'no peer'} only, one csync2 -i ${args.join(' ')} per connection`);
  return server;
}

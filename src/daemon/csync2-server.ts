import type { Logger } from '../log/logger.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { Csync2Listener } from '../sync/csync2-listener.js';
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

/** This node's csync2 server: the daemon accepts peers' connections and runs `csync2 -i` on each (SessionGate). */
export async function startCsync2Server(csync2: ResolvedOptions['csync2'], children: ChildProcesses, log: Logger): Promise<Csync2Listener> {
  const args = sessionArgs(csync2);
  // inotify-csync@.socket: systemd holds the port, also while the daemon restarts.
  const listenFd = csync2ListenFd(takeListenFds());
  const server = new Csync2Listener({ children, log, host: csync2.host, port: Number(csync2.port ?? 30865), sessionArgs: args, listenFd });
  await server.start();
  const from = listenFd === undefined ? '' : ` (the socket systemd holds, fd ${listenFd})`;
  log.info(`SERVER: accepting csync2 peers on ${server.listening}${from}, one csync2 -i ${args.join(' ')} per connection`);
  return server;
}

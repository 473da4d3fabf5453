import { lookup } from 'node:dns/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { InotifyCsyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { processIoCount } from '../process/process-io.js';
import { portInUseFix } from './port-holder.js';
import { SessionGate } from './session-gate.js';

export interface Csync2ListenerOptions {
  children: ChildProcesses;
  log: Logger;
  /** This node's csync2 host name (`-N`): the listener binds to what it resolves to, as `csync2 -ii -N` does. */
  host: string;
  /** The TCP port (csync2's default is 30865). */
  port: number;
  /** Options every session gets: `-N host [-D db] [-C name]`. */
  sessionArgs: string[];
  env?: NodeJS.ProcessEnv;
  /** A listening socket systemd passed (inotify-csync@.socket): served instead of binding host and port. */
  listenFd?: number;
}

/**
 * This node's csync2 server, run the way inetd or systemd's `csync2.socket`
 * run it: the daemon accepts each connection itself and starts `csync2 -i`
 * on it (csync2 reads the socket on fd 0 and 1 and checks the peer with
 * getpeername). So the daemon knows exactly when a peer's session runs, and
 * its SessionGate keeps local checks and sessions apart.
 */
export class Csync2Listener {
  readonly gate = new SessionGate({ ioCount: (pid) => processIoCount(pid) });
  private server: Server | undefined;
  private address: string | undefined;
  /** Connections waiting for the gate: ended on stop. */
  private readonly waiting = new Set<Socket>();

  constructor(private readonly options: Csync2ListenerOptions) {}

  /** Where it listens, for the log. */
  get listening(): string {
    return `${this.address ?? this.options.host}:${this.options.port}`;
  }

  get sessionsServed(): number {
    return this.gate.sessionsServed;
  }

  /** Binds to the host's first address that accepts the bind; the error names the fix when the port is taken. */
  async start(): Promise<void> {
    const { host, port } = this.options;
    if (this.options.listenFd !== undefined) return this.listenOnInherited(this.options.listenFd);
    let addresses: string[];
    try {
      addresses = (await lookup(host, { all: true })).map((entry) => entry.address);
    } catch (error) {
      throw new InotifyCsyncError(`cannot listen for csync2 peers: host name ${host} does not resolve (${(error as Error).message}); fix -N or /etc/hosts`, { cause: error });
    }
    let lastError: unknown;
    let lastAddress = host;
    for (const address of addresses) {
      const server = createServer({ pauseOnConnect: true }, (socket) => void this.serve(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen({ host: address, port, exclusive: true }, () => {
            server.off('error', reject);
            resolve();
          });
        });
      } catch (error) {
        lastError = error;
        lastAddress = address;
        continue;
      }
      server.on('error', (error) => this.options.log.warn(`SERVER: accepting a csync2 connection failed: ${error.message}`));
      this.server = server;
      this.address = address;
      return;
    }
    const code = (lastError as NodeJS.ErrnoException | undefined)?.code;
    const fix = code === 'EADDRINUSE' ? `: ${portInUseFix(lastAddress, port)}` : '';
    throw new InotifyCsyncError(`cannot listen for csync2 peers on ${host} port ${port} (${(lastError as Error | undefined)?.message ?? 'no address'})${fix}`, { cause: lastError });
  }

  /** One peer connection: waits for the gate, then `csync2 -i` on the socket. */
  private async serve(socket: Socket): Promise<void> {
    const { children, sessionArgs, env, log } = this.options;
    const peer = `${socket.remoteAddress ?? '?'}:${socket.remotePort ?? '?'}`;
    this.waiting.add(socket);
    const accepted = performance.now();
    const ticket = await this.gate.admit();
    this.waiting.delete(socket);
    // pauseOnConnect: node never reads from the socket, so the child sees every byte.
    const fd = (socket as unknown as { _handle?: { fd?: number } })._handle?.fd;
    if (this.server === undefined || socket.destroyed || fd === undefined || fd < 0) {
      socket.destroy();
      ticket.end();
      return;
    }
    let session: ReturnType<ChildProcesses['start']> | undefined;
    try {
      session = children.start('csync2', ['-i', ...sessionArgs], { env, stdio: [socket, socket, 'pipe'], reject: false, buffer: true });
    } catch (error) {
      log.warn(`SERVER: could not start csync2 -i for ${peer}: ${(error as Error).message}`);
    }
    // The child holds its own copy of the socket; ours must go, or the peer never sees the end of the session.
    socket.destroy();
    if (!session) {
      ticket.end();
      return;
    }
    ticket.setPid(session.pid);
    const started = performance.now();
    log.debug(`SERVER: session from ${peer} (PID ${session.pid ?? '?'})`);
    const result = await session;
    ticket.end();
    const said = String(result.stderr ?? '').trim().split('\n').slice(-2).join(' ');
    if (result.signal || (result.exitCode ?? 0) > 1) {
      // csync2 -i exits 0 or 1 (a refused request, answered to the peer); anything else is a crash.
      log.warn(`SERVER: csync2 session from ${peer} died: ${result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`}${said ? `: ${said}` : ''}; the peer retries its update`);
    } else {
      log.debug(`SERVER: session from ${peer} done in ${Math.round(performance.now() - started)} ms after ${Math.round(started - accepted)} ms at the gate${result.exitCode ? ` (exit code ${result.exitCode}${said ? `: ${said}` : ''})` : ''}`);
    }
  }

  /** Stops accepting; running sessions end with the daemon's other children. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const socket of this.waiting) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  /** Serves the listening socket systemd holds (inotify-csync@.socket): it stays bound while the daemon restarts. */
  private async listenOnInherited(fd: number): Promise<void> {
    const server = createServer({ pauseOnConnect: true }, (socket) => void this.serve(socket));
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen({ fd }, () => {
        server.off('error', reject);
        resolve();
      });
    }).catch((error: unknown) => {
      throw new InotifyCsyncError(`cannot serve the socket systemd passed (fd ${fd}): ${(error as Error).message}; inotify-csync@.socket needs one ListenStream= (a TCP port)`, { cause: error });
    });
    const bound = server.address();
    if (typeof bound !== 'object' || bound === null || bound.port !== this.options.port) {
      server.close();
      const where = typeof bound === 'object' && bound !== null ? `port ${bound.port}` : String(bound);
      throw new InotifyCsyncError(`the socket systemd passed (fd ${fd}) listens on ${where}, not csync2's port ${this.options.port}: set ListenStream=${this.options.port} in inotify-csync@.socket (systemctl edit), or -p ${where.replace(/^port /, '')}`);
    }
    server.on('error', (error) => this.options.log.warn(`SERVER: accepting a csync2 connection failed: ${error.message}`));
    this.server = server;
    this.address = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
  }
}

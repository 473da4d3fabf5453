import { createServer, type Server, type Socket } from 'node:net';
import { InotifyCsyncError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import type { ChildProcesses } from '../process/child-processes.js';
import { sessionProgress } from '../process/process-io.js';
import { waitsReadingFd } from '../process/waits-on-peer.js';
import { ConnectionAdmission, type AdmissionLimits, type PendingConnection } from './connection-admission.js';
import { emptyListenerStats, PerAddressWarnings, type ListenerStats } from './listener-stats.js';
import { PeerAddresses, plainAddress } from './peer-addresses.js';
import { portInUseFix } from './port-holder.js';
import { SessionGate } from './session-gate.js';
import { sessionAnswered, SessionLimits, type SessionLimitTimes } from './session-limits.js';
import { FirstBytesWatch } from './first-bytes.js';

export interface Csync2ListenerOptions {
  children: ChildProcesses;
  log: Logger;
  /** This node's csync2 host name (`-N`), for the messages. */
  host: string;
  /** Addresses to listen on, tried in order until one binds (listenAddresses()). */
  addresses: string[];
  /** The TCP port (csync2's default is 30865). */
  port: number;
  /** Options every session gets: `-N host [-D db] [-C name]`. */
  sessionArgs: string[];
  /** csync2 names of the hosts whose sessions this node takes: nobody else gets near the gate. */
  peers: readonly string[];
  env?: NodeJS.ProcessEnv;
  limits?: AdmissionLimits;
  times?: Partial<SessionLimitTimes> & {
    /** A connection that has sent nothing after this long is closed. @default 3000 */
    firstBytesMs?: number;
  };
  /** Tests: the peers' names → addresses. */
  peerAddresses?: PeerAddresses;
  /** A listening socket systemd passed (inotify-csync@.socket): served instead of binding host and port. */
  listenFd?: number;
}

/**
 * This node's csync2 server, run the way inetd or systemd's `csync2.socket`
 * run it: the daemon accepts each connection itself and starts `csync2 -i`
 * on it (csync2 reads the socket on fd 0 and 1 and checks the peer with
 * getpeername). So the daemon knows exactly when a peer's session runs, and
 * its SessionGate keeps local checks and sessions apart. Every connection is
 * hostile until csync2 has identified it: only the peers' addresses, a few
 * connections each, that speak at once, get near the gate, and a session
 * that stops making progress is neither waited for nor kept.
 */
export class Csync2Listener {
  readonly gate = new SessionGate({
    ioCount: (pid) => sessionProgress(pid),
    answered: (pid) => sessionAnswered(pid),
    waitsOnPeer: (pid) => waitsReadingFd(pid, 0),
  });
  readonly stats: ListenerStats = emptyListenerStats();
  private server: Server | undefined;
  private address: string | undefined;
  private readonly admission: ConnectionAdmission;
  private readonly peers: PeerAddresses;
  private readonly warnings = new PerAddressWarnings();
  private readonly firstBytes = new FirstBytesWatch();
  private readonly firstBytesMs: number;
  private readonly limitTimes: Partial<SessionLimitTimes>;

  constructor(private readonly options: Csync2ListenerOptions) {
    this.admission = new ConnectionAdmission(options.limits);
    this.peers = options.peerAddresses ?? new PeerAddresses();
    this.firstBytesMs = options.times?.firstBytesMs ?? 3000;
    this.limitTimes = options.times ?? {};
  }

  /** Where it listens, for the log. */
  get listening(): string {
    const address = this.address ?? this.options.addresses[0] ?? '?';
    return `${address.includes(':') ? `[${address}]` : address}:${this.options.port}`;
  }

  get sessionsServed(): number {
    return this.gate.sessionsServed;
  }

  /** The peers whose sessions are taken (on start and reload). */
  async setPeers(names: readonly string[]): Promise<void> {
    await this.peers.setNames(names);
  }

  /** Binds to the first of the addresses that accepts the bind; the error names the fix when the port is taken. */
  async start(): Promise<void> {
    const { addresses, port } = this.options;
    await this.peers.setNames(this.options.peers);
    if (this.options.listenFd !== undefined) return this.listenOnInherited(this.options.listenFd);
    let lastError: unknown;
    let lastAddress = addresses[0] ?? '?';
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
        // Only an address this host lacks (no IPv6) moves on to the next; a taken port is final.
        if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') break;
        continue;
      }
      server.on('error', (error) => this.options.log.warn(`SERVER: accepting a csync2 connection failed: ${error.message}`));
      this.server = server;
      this.address = address;
      return;
    }
    const code = (lastError as NodeJS.ErrnoException | undefined)?.code;
    const fix = code === 'EADDRINUSE' ? `: ${portInUseFix(lastAddress, port)}` : '';
    throw new InotifyCsyncError(`cannot listen for csync2 peers on ${addresses.join(' or ')} port ${port} (${(lastError as Error | undefined)?.message ?? 'no address'})${fix}`, { cause: lastError });
  }

  /** One connection: screened, then the gate, then `csync2 -i` on the socket under its limits. */
  private async serve(socket: Socket): Promise<void> {
    const address = plainAddress(socket.remoteAddress ?? '?');
    const peer = await this.peers.peerAt(address);
    if (peer === undefined || this.server === undefined) {
      socket.destroy();
      if (this.server === undefined) return;
      this.stats.refused++;
      this.stats.lastRefused = `${address} at ${Date.now()}`;
      this.warn(`refused:${address}`, `SERVER: refused a connection from ${address}: not a host of this node's csync2 groups (peers: ${this.peers.known.join(', ') || 'none resolved'})`);
      return;
    }
    const pending: PendingConnection = { address, since: Date.now(), heard: false, close: () => socket.destroy() };
    if (!this.admission.enter(pending)) {
      socket.destroy();
      this.stats.overCap++;
      this.warn(`cap:${address}`, `SERVER: refused a connection from ${address} (${peer}): it already has ${this.admission.perAddress} open, or the node ${this.admission.total}; a peer runs one session at a time`);
      return;
    }
    try {
      const first = await this.firstBytes.wait(socket, this.firstBytesMs);
      if (first !== 'heard') {
        socket.destroy();
        if (first === 'silent') {
          this.stats.silent++;
          this.warn(`silent:${address}`, `SERVER: closed a connection from ${address} (${peer}): no csync2 request within ${this.firstBytesMs / 1000} s (csync2 sends its first line at once)`);
        }
        return;
      }
      pending.heard = true;
      await this.session(socket, address, peer);
    } finally {
      this.admission.leave(pending);
    }
  }

  /** Runs `csync2 -i` on the socket once the gate admits it; ends a session that stops making progress. */
  private async session(socket: Socket, address: string, peer: string): Promise<void> {
    const { children, sessionArgs, env, log } = this.options;
    // The source port too: it tells this session from the peer's next one in the log.
    const from = `${address}:${socket.remotePort ?? '?'}`;
    const accepted = performance.now();
    const ticket = await this.gate.admit();
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
      log.warn(`SERVER: could not start csync2 -i for ${from}: ${(error as Error).message}`);
    }
    // The child holds its own copy of the socket; ours must go, or the peer never sees the end of the session.
    socket.destroy();
    if (!session) {
      ticket.end();
      return;
    }
    ticket.setPid(session.pid);
    const started = performance.now();
    const running = session;
    const limits = new SessionLimits(session.pid, this.limitTimes, (why) => {
      this.stats.ended++;
      this.stats.lastCutShort = `${address}: ${why} at ${Date.now()}`;
      log.warn(`SERVER: ended the csync2 session from ${from} (${peer}, PID ${running.pid ?? '?'}): ${why}`);
      running.kill('SIGKILL');
    });
    log.debug(`SERVER: session from ${from} (PID ${session.pid ?? '?'})`);
    const result = await session;
    limits.stop();
    ticket.end();
    const ran = performance.now() - started;
    const said = String(result.stderr ?? '').trim().split('\n').slice(-2).join(' ');
    if (ran > limits.longMs && !limits.ended) {
      this.stats.long++;
      this.stats.lastCutShort = `${address}: ran ${Math.round(ran)} ms at ${Date.now()}`;
      this.warn(`long:${address}`, `SERVER: the csync2 session from ${address} (${peer}) ran ${(ran / 1000).toFixed(1)} s; local checks wait for a session while it makes progress`);
    }
    if (limits.ended) return;
    if (result.signal || (result.exitCode ?? 0) > 1) {
      // csync2 -i exits 0 or 1 (a refused request, answered to the peer); anything else is a crash.
      log.warn(`SERVER: csync2 session from ${from} died: ${result.signal ? `killed by ${result.signal}` : `exit code ${result.exitCode}`}${said ? `: ${said}` : ''}; the peer retries its update`);
    } else {
      log.debug(`SERVER: session from ${from} done in ${Math.round(ran)} ms after ${Math.round(started - accepted)} ms at the gate${result.exitCode ? ` (exit code ${result.exitCode}${said ? `: ${said}` : ''})` : ''}`);
    }
  }

  private warn(key: string, text: string): void {
    const line = this.warnings.line(key, text);
    if (line) this.options.log.warn(line);
  }

  /** Stops accepting; running sessions end with the daemon's other children. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    for (const connection of this.admission.all()) connection.close();
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
    this.address = bound.address;
  }
}

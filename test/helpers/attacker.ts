import { connect, type Socket } from 'node:net';

export type AttackMode =
  /** Connects and sends nothing. */
  | 'idle'
  /** Sends one byte (never a newline) every `everyMs`. */
  | 'trickle'
  /** Identifies itself as a csync2 client would (CONFIG, HELLO with `helloName`), then trickles. */
  | 'hello-then-trickle';

export interface AttackOptions {
  /** Source address (loopback only): a peer's address to pose as one, or any other 127.x address. */
  from: string;
  to: string;
  port: number;
  mode: AttackMode;
  /** For 'hello-then-trickle': the host name sent with HELLO. */
  helloName?: string;
  /** @default 500 */
  everyMs?: number;
  /** The attack ends by itself after this long. @default 60000 */
  maxMs?: number;
}

/** One hostile connection to a csync2 port, bounded in time; `closedByServer` settles when the server ends it. */
export class Attack {
  readonly socket: Socket;
  /** Epoch ms when the server closed the connection (undefined while open). */
  closedAt: number | undefined;
  readonly openedAt = Date.now();
  /** Everything the server sent back. */
  received = '';
  private timer: NodeJS.Timeout | undefined;
  private readonly limit: NodeJS.Timeout;
  private stopped = false;
  readonly closed: Promise<void>;

  constructor(options: AttackOptions) {
    const everyMs = options.everyMs ?? 500;
    this.socket = connect({ host: options.to, port: options.port, localAddress: options.from });
    this.socket.on('data', (chunk) => {
      this.received += chunk.toString('latin1');
    });
    this.socket.on('error', () => {
      // reset by the server: counted as closed below
    });
    this.closed = new Promise((resolve) => {
      this.socket.once('close', () => {
        if (!this.stopped) this.closedAt = Date.now();
        this.clear();
        resolve();
      });
    });
    this.socket.once('connect', () => {
      if (options.mode === 'idle') return;
      if (options.mode === 'hello-then-trickle') this.socket.write(`CONFIG \nHELLO ${options.helloName ?? options.from}\n`);
      this.timer = setInterval(() => {
        if (!this.socket.destroyed) this.socket.write('X');
      }, everyMs);
    });
    this.limit = setTimeout(() => void this.stop(), options.maxMs ?? 60_000);
  }

  /** Whether the server has closed it. */
  get closedByServer(): boolean {
    return this.closedAt !== undefined;
  }

  /** Ends the attack from the attacker's side. */
  async stop(): Promise<void> {
    if (this.closedAt === undefined) this.stopped = true;
    this.clear();
    this.socket.destroy();
    await this.closed;
  }

  private clear(): void {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    clearTimeout(this.limit);
  }
}

/** Opens `count` attacks with the same options. */
export function attacks(count: number, options: AttackOptions): Attack[] {
  return Array.from({ length: count }, () => new Attack(options));
}

import type { Socket } from 'node:net';
import { readTcpTable, stateIn, tableOf, type TcpEndpoints } from './socket-receive-queue.js';

export type FirstBytes = 'heard' | 'silent' | 'closed';

interface Waiter {
  socket: Socket;
  endpoints: TcpEndpoints;
  table: 'tcp' | 'tcp6';
  deadline: number;
  done: (result: FirstBytes) => void;
}

/**
 * Waits, without reading, until accepted connections have sent something:
 * the bytes stay in the kernel for `csync2 -i`, and a connection that says
 * nothing never costs a session or a place at the gate. One look at
 * /proc/net/tcp serves every waiting connection (a busy web server lists
 * thousands), often at first (a csync2 client writes its first line right
 * after connecting), then every 100 ms.
 */
export class FirstBytesWatch {
  private readonly waiters = new Set<Waiter>();
  private timer: NodeJS.Timeout | undefined;
  private pause = 2;

  constructor(
    private readonly read: (file: 'tcp' | 'tcp6') => string | undefined = (file) => readTcpTable(file),
    private readonly maxPauseMs = 100,
  ) {}

  /** 'heard' once bytes wait unread; 'silent' after `deadlineMs`; 'closed' when the peer or the listener closed it first. */
  wait(socket: Socket, deadlineMs: number): Promise<FirstBytes> {
    const endpoints = {
      localAddress: socket.localAddress ?? '',
      localPort: socket.localPort ?? 0,
      remoteAddress: socket.remoteAddress ?? '',
      remotePort: socket.remotePort ?? 0,
    };
    return new Promise((resolve) => {
      const waiter: Waiter = { socket, endpoints, table: tableOf(endpoints), deadline: Date.now() + deadlineMs, done: resolve };
      this.waiters.add(waiter);
      this.pause = 2;
      this.look();
    });
  }

  get waiting(): number {
    return this.waiters.size;
  }

  private look(): void {
    if (this.timer !== undefined) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const tables = new Map<'tcp' | 'tcp6', string | undefined>();
    const now = Date.now();
    for (const waiter of this.waiters) {
      let result: FirstBytes | undefined;
      if (waiter.socket.destroyed) {
        result = 'closed';
      } else {
        if (!tables.has(waiter.table)) tables.set(waiter.table, this.read(waiter.table));
        const table = tables.get(waiter.table);
        const state = table === undefined ? undefined : stateIn(table, waiter.endpoints);
        if (state === undefined) result = 'closed';
        else if (state.unread > 0) result = 'heard';
        else if (state.closed) result = 'closed';
        else if (now >= waiter.deadline) result = 'silent';
      }
      if (result !== undefined) {
        this.waiters.delete(waiter);
        waiter.done(result);
      }
    }
    if (this.waiters.size === 0) return;
    const nextDeadline = Math.min(...[...this.waiters].map((waiter) => waiter.deadline));
    const delay = Math.max(1, Math.min(this.pause, nextDeadline - now));
    this.pause = Math.min(this.pause * 2, this.maxPauseMs);
    this.timer = setTimeout(() => this.look(), delay);
  }
}

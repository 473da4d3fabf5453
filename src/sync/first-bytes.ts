import type { Socket } from 'node:net';
import { receiveState, type ReceiveState, type TcpEndpoints } from './socket-receive-queue.js';

export type FirstBytes = 'heard' | 'silent' | 'closed';

/**
 * Waits, without reading, until an accepted connection has sent something:
 * the bytes stay in the kernel for `csync2 -i`, and a connection that says
 * nothing never costs a session or a place at the gate. 'silent' after
 * `deadlineMs`; 'closed' when the peer or the listener closed it first.
 */
export async function waitForFirstBytes(
  socket: Socket,
  deadlineMs: number,
  state: (endpoints: TcpEndpoints) => ReceiveState | undefined = receiveState,
): Promise<FirstBytes> {
  const endpoints = {
    localAddress: socket.localAddress ?? '',
    localPort: socket.localPort ?? 0,
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
  };
  const deadline = Date.now() + deadlineMs;
  // A csync2 client writes its first line right after connecting: look often at first, then less.
  for (let pause = 2; ; pause = Math.min(pause * 2, 50)) {
    if (socket.destroyed) return 'closed';
    const now = state(endpoints);
    if (now === undefined) return 'closed';
    if (now.unread > 0) return 'heard';
    if (now.closed) return 'closed';
    if (Date.now() >= deadline) return 'silent';
    await new Promise((resolve) => setTimeout(resolve, Math.min(pause, Math.max(1, deadline - Date.now()))));
  }
}

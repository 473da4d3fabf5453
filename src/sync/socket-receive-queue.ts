import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { endianness } from 'node:os';
import { hexOfAddress } from './tcp-listeners.js';

export interface TcpEndpoints {
  localAddress: string;
  localPort: number;
  remoteAddress: string;
  remotePort: number;
}

/** What the kernel holds for one accepted connection that nobody has read from yet. */
export interface ReceiveState {
  /** Bytes received and not yet read (`rx_queue`). */
  unread: number;
  /** The peer has closed its side (any state but ESTABLISHED). */
  closed: boolean;
}

const ESTABLISHED = '01';

/** `127.0.0.2:30865` as /proc/net/tcp (or tcp6 for an IPv6 socket) writes it. */
export function procEndpoint(address: string, port: number, little = endianness() === 'LE'): { file: 'tcp' | 'tcp6'; text: string } {
  const portHex = port.toString(16).padStart(4, '0').toUpperCase();
  return { file: isIP(address) === 4 ? 'tcp' : 'tcp6', text: `${hexOfAddress(address, little) ?? ''}:${portHex}` };
}

/** The table a connection is listed in (/proc/net/tcp or tcp6), read once; undefined when unreadable. */
export function readTcpTable(file: 'tcp' | 'tcp6', proc = '/proc'): string | undefined {
  try {
    return readFileSync(`${proc}/net/${file}`, 'latin1');
  } catch {
    return undefined;
  }
}

/** Which table lists a connection. */
export function tableOf(socket: TcpEndpoints): 'tcp' | 'tcp6' {
  return procEndpoint(socket.localAddress, socket.localPort).file;
}

/** A connection's line of a table read with readTcpTable: undefined when it is not listed (gone). */
export function stateIn(table: string, socket: TcpEndpoints): ReceiveState | undefined {
  const local = procEndpoint(socket.localAddress, socket.localPort);
  const remote = procEndpoint(socket.remoteAddress, socket.remotePort);
  const wanted = ` ${local.text} ${remote.text} `;
  const at = table.indexOf(wanted);
  if (at < 0) return undefined;
  // "  sl  local_address rem_address   st tx_queue:rx_queue ..."
  const end = table.indexOf('\n', at);
  const rest = table.slice(at + wanted.length, end < 0 ? undefined : end).trim().split(/\s+/);
  const state = rest[0] ?? '';
  const unread = Number.parseInt((rest[1] ?? '0:0').split(':')[1] ?? '0', 16);
  return { unread: Number.isNaN(unread) ? 0 : unread, closed: state !== ESTABLISHED };
}

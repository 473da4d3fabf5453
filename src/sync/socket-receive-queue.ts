import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import { endianness } from 'node:os';

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

/** The four bytes of an IPv4 address in /proc/net/tcp's spelling: one 32-bit word in host byte order. */
function hexWord(bytes: number[], little: boolean): string {
  const ordered = little ? [...bytes].reverse() : bytes;
  return ordered.map((byte) => byte.toString(16).padStart(2, '0')).join('').toUpperCase();
}

function ipv6Bytes(address: string): number[] {
  let text = address.toLowerCase();
  const dotted = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (dotted) {
    const [a, b, c, d] = dotted.split('.').map(Number) as [number, number, number, number];
    text = `${text.slice(0, -dotted.length)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head ? head.split(':') : [];
  const tailGroups = tail ? tail.split(':') : [];
  const groups = tail === undefined ? headGroups : [...headGroups, ...Array(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  return groups.flatMap((group) => {
    const value = Number.parseInt(group || '0', 16);
    return [value >> 8, value & 0xff];
  });
}

/** `127.0.0.2:30865` as /proc/net/tcp (or tcp6 for an IPv6 socket) writes it. */
export function procEndpoint(address: string, port: number, little = endianness() === 'LE'): { file: 'tcp' | 'tcp6'; text: string } {
  const portHex = port.toString(16).padStart(4, '0').toUpperCase();
  if (isIP(address) === 4) return { file: 'tcp', text: `${hexWord(address.split('.').map(Number), little)}:${portHex}` };
  const bytes = ipv6Bytes(address);
  const words = [0, 4, 8, 12].map((start) => hexWord(bytes.slice(start, start + 4), little));
  return { file: 'tcp6', text: `${words.join('')}:${portHex}` };
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

/**
 * How many bytes a connection has sent that nobody has read yet, from
 * /proc/net/tcp: the listener hands the socket to `csync2 -i` unread, and
 * learns here whether the peer has said anything before it lets it near the
 * session gate. Undefined when the connection is not listed (gone).
 */
export function receiveState(socket: TcpEndpoints, proc = '/proc'): ReceiveState | undefined {
  const table = readTcpTable(tableOf(socket), proc);
  return table === undefined ? undefined : stateIn(table, socket);
}

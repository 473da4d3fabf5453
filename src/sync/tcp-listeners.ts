import { readFileSync } from 'node:fs';
import { isIPv4, isIPv6 } from 'node:net';

/** One listening TCP socket, as /proc/net/tcp or tcp6 lists it. */
export interface TcpListener {
  /** The socket's inode: /proc/PID/fd/N links to `socket:[inode]`. */
  inode: string;
  /** The owner's uid (who created the socket). */
  uid: number;
  /** The local address, as the kernel's hex (`0100007F` is 127.0.0.1; IPv6: four 32-bit words). */
  hexAddress: string;
  port: number;
}

/** An address's bytes in network order (4 for IPv4, 16 for IPv6, a zone id dropped); undefined for a name. */
export function addressBytes(address: string): Buffer | undefined {
  if (isIPv4(address)) return Buffer.from(address.split('.').map(Number));
  if (!isIPv6(address)) return undefined;
  // Expand :: and an embedded IPv4 tail into eight 16-bit groups.
  let text = address.replace(/%.*$/, '');
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)?.[1];
  if (v4) {
    const [a = 0, b = 0, c = 0, d = 0] = v4.split('.').map(Number);
    text = text.slice(0, -v4.length) + `${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', tail] = text.split('::');
  const headGroups = head === '' ? [] : head.split(':');
  const tailGroups = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...headGroups, ...Array<string>(8 - headGroups.length - tailGroups.length).fill('0'), ...tailGroups];
  const bytes = Buffer.alloc(16);
  groups.forEach((group, index) => bytes.writeUInt16BE(Number.parseInt(group, 16), index * 2));
  return bytes;
}

/** The kernel's hex form of an address in /proc/net/tcp(6): each 32-bit word in host byte order (little-endian by default). */
export function hexOfAddress(address: string, little = true): string | undefined {
  const bytes = addressBytes(address);
  if (!bytes) return undefined;
  const words: string[] = [];
  for (let at = 0; at < bytes.length; at += 4) {
    const word = little ? bytes.readUInt32LE(at) : bytes.readUInt32BE(at);
    words.push(word.toString(16).toUpperCase().padStart(8, '0'));
  }
  return words.join('');
}

/** The listening sockets in the text of /proc/net/tcp or /proc/net/tcp6. */
export function parseTcpListeners(text: string): TcpListener[] {
  const found: TcpListener[] = [];
  for (const line of text.split('\n').slice(1)) {
    // sl local_address rem_address st tx:rx tr:when retrnsmt uid timeout inode
    const fields = line.trim().split(/\s+/);
    const [hexAddress, hexPort] = fields[1]?.split(':') ?? [];
    if (fields[3] !== '0A' || !hexAddress || !hexPort || !fields[9]) continue;
    found.push({ inode: fields[9], uid: Number(fields[7]), hexAddress, port: Number.parseInt(hexPort, 16) });
  }
  return found;
}

/** The TCP sockets listening on `port`, from /proc/net/tcp and tcp6 (none where /proc cannot tell). */
export function tcpListenersOn(port: number): TcpListener[] {
  const found: TcpListener[] = [];
  for (const table of ['/proc/net/tcp', '/proc/net/tcp6']) {
    try {
      found.push(...parseTcpListeners(readFileSync(table, 'utf8')).filter((listener) => listener.port === port));
    } catch {
      // no IPv6 here, or no /proc
    }
  }
  return found;
}

/**
 * True when a socket listening on `listenerHex` keeps `address` from being bound
 * on the same port: the same address, a wildcard of either family (an IPv6
 * wildcard takes IPv4 too unless bindv6only), or the IPv4-mapped form.
 */
export function blocksAddress(listenerHex: string, address: string): boolean {
  if (/^0+$/.test(listenerHex)) return true;
  const own = hexOfAddress(address);
  if (own === undefined) return false;
  if (listenerHex === own) return true;
  return isIPv4(address) && listenerHex === hexOfAddress(`::ffff:${address}`);
}

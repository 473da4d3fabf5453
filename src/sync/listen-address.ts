import { isIP } from 'node:net';

/** Every address of this host: IPv6 and (dual-stack) IPv4; `0.0.0.0` where IPv6 is off. */
export const ALL_ADDRESSES = ['::', '0.0.0.0'] as const;

/**
 * Where this node's csync2 server listens. A host named by an address (the
 * `@address` of its `host` line, or `-N 10.0.0.1`) listens there; a host
 * named by a name listens on every address, as Debian's inetd entry and
 * csync2's socket unit do: binding only where the name resolves breaks on the
 * `127.0.1.1 <hostname>` line Debian, Ubuntu and cloud-init write.
 * The answer is a list of alternatives, tried in order until one binds.
 */
export function listenAddresses(host: string, ownAddress?: string): string[] {
  if (ownAddress !== undefined) return [ownAddress];
  if (isIP(host)) return [host];
  return [...ALL_ADDRESSES];
}

export function isLoopback(address: string): boolean {
  const plain = address.toLowerCase().replace(/^::ffff:/, '');
  return plain === '::1' || (isIP(plain) === 4 && plain.startsWith('127.'));
}

/**
 * The one-line refusal when this host's name resolves to a loopback address
 * while a peer is elsewhere: csync2's client binds its connections to what
 * `-N` resolves to (conn.c), and the peer then refuses them at HELLO, so the
 * node would neither receive nor send. Undefined when the set-up can work.
 */
export function loopbackNameProblem(host: string, hostAddresses: readonly string[], peers: ReadonlyArray<{ name: string; addresses: readonly string[] }>): string | undefined {
  if (hostAddresses.length === 0 || !hostAddresses.every(isLoopback)) return undefined;
  const remote = peers.find((peer) => peer.addresses.length > 0 && !peer.addresses.some(isLoopback));
  if (!remote) return undefined;
  return `this host's csync2 name ${host} resolves to ${hostAddresses.join(', ')} (loopback) while peer ${remote.name} is at ${remote.addresses.join(', ')}: csync2 connects from that loopback address and the peers refuse it; in /etc/hosts map ${host} to this host's network address (Debian writes "127.0.1.1 ${host}"), or pass -N with the name or address the peers know`;
}

import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';

/** `::ffff:10.0.0.1` → `10.0.0.1`: a dual-stack socket reports IPv4 peers in their IPv6 form. */
export function plainAddress(address: string): string {
  const lower = address.toLowerCase();
  return lower.startsWith('::ffff:') && isIP(lower.slice(7)) === 4 ? lower.slice(7) : lower;
}

export type ResolveAll = (name: string) => Promise<string[]>;

/** getaddrinfo, as csync2 resolves a peer's name when it checks who connected (daemon.c, verify_peername). */
export const resolveAll: ResolveAll = async (name) => (await lookup(name, { all: true })).map((entry) => plainAddress(entry.address));

export interface PeerAddressesOptions {
  resolve?: ResolveAll;
  /** An address not found is looked up again at most this often (DNS may have changed). @default 10000 */
  refreshMs?: number;
  now?: () => number;
}

/**
 * The addresses the peers' names resolve to: the only sources a csync2
 * session can come from (csync2 refuses any other at HELLO), so the listener
 * lets nobody else near the session gate.
 */
export class PeerAddresses {
  private names: string[] = [];
  private addresses = new Map<string, string>();
  private resolvedAt = Number.NEGATIVE_INFINITY;
  private resolving: Promise<void> | undefined;
  private readonly resolve: ResolveAll;
  private readonly refreshMs: number;
  private readonly now: () => number;

  constructor(options: PeerAddressesOptions = {}) {
    this.resolve = options.resolve ?? resolveAll;
    this.refreshMs = options.refreshMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** The peers' names (csync2's names: the `@address` of `host name@address` where given); looked up now. */
  async setNames(names: readonly string[]): Promise<void> {
    this.names = [...new Set(names.map((name) => name.toLowerCase()))];
    this.resolvedAt = Number.NEGATIVE_INFINITY;
    await this.refresh();
  }

  /** The peer name an address belongs to, or undefined for a stranger. A miss looks the names up again (rate-limited). */
  async peerAt(address: string): Promise<string | undefined> {
    const plain = plainAddress(address);
    const known = this.addresses.get(plain);
    if (known !== undefined || this.now() - this.resolvedAt < this.refreshMs) return known;
    await this.refresh();
    return this.addresses.get(plain);
  }

  /** Every address known now, for the log. */
  get known(): string[] {
    return [...this.addresses.keys()];
  }

  private refresh(): Promise<void> {
    this.resolving ??= (async () => {
      const next = new Map<string, string>();
      for (const name of this.names) {
        if (isIP(name)) {
          next.set(plainAddress(name), name);
          continue;
        }
        try {
          for (const address of await this.resolve(name)) if (!next.has(address)) next.set(address, name);
        } catch {
          // A name that does not resolve now cannot connect either (csync2 checks the same lookup).
        }
      }
      this.addresses = next;
      this.resolvedAt = this.now();
    })().finally(() => {
      this.resolving = undefined;
    });
    return this.resolving;
  }
}

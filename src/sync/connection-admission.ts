/** A connection between accept and the end of its session. */
export interface PendingConnection {
  address: string;
  since: number;
  /** It has sent its first bytes. */
  heard: boolean;
  /** Closes it (evicted for a newer one). */
  close: () => void;
}

export interface AdmissionLimits {
  /** Connections one address may have open at once (waiting or in session). @default 3 */
  perAddress?: number;
  /** Connections open at once in all. @default 16 */
  total?: number;
}

/**
 * Caps what connections can hold: a peer runs one csync2 session at a time
 * with this node, so a pile of connections from one address is not a peer at
 * work. At the cap, the oldest connection of that address that has not said
 * anything yet makes room; if all have spoken, the new one is refused.
 */
export class ConnectionAdmission {
  private readonly open = new Set<PendingConnection>();
  readonly perAddress: number;
  readonly total: number;

  constructor(limits: AdmissionLimits = {}) {
    this.perAddress = limits.perAddress ?? 3;
    this.total = limits.total ?? 16;
  }

  /** Registers a new connection; false when it must be refused (nothing made room). */
  enter(connection: PendingConnection): boolean {
    const same = [...this.open].filter((other) => other.address === connection.address);
    if (same.length >= this.perAddress && !this.evictSilent(same)) return false;
    if (this.open.size >= this.total && !this.evictSilent([...this.open])) return false;
    this.open.add(connection);
    return true;
  }

  leave(connection: PendingConnection): void {
    this.open.delete(connection);
  }

  get size(): number {
    return this.open.size;
  }

  /** Every open connection, for the stop. */
  all(): PendingConnection[] {
    return [...this.open];
  }

  private evictSilent(candidates: PendingConnection[]): boolean {
    let oldest: PendingConnection | undefined;
    for (const candidate of candidates) if (!candidate.heard && (!oldest || candidate.since < oldest.since)) oldest = candidate;
    if (!oldest) return false;
    this.open.delete(oldest);
    oldest.close();
    return true;
  }
}

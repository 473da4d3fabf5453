/** What the csync2 port has turned away or cut short since start: `status`, `status --json` and the metrics show it. */
export interface ListenerStats {
  /** Connections from an address that is no peer's: closed at once. */
  refused: number;
  /** `address at epoch-ms` of the last one. */
  lastRefused?: string;
  /** Connections closed for saying nothing within the first-request deadline. */
  silent: number;
  /** Connections closed because their address (or the node) had too many open. */
  overCap: number;
  /** Sessions ended by the listener: no answer to a first request, no progress, or the hard time limit. */
  ended: number;
  /** Sessions that ran longer than the warning threshold (checks may have waited for them). */
  long: number;
  /** `address: why at epoch-ms` of the last session ended or long. */
  lastCutShort?: string;
}

export function emptyListenerStats(): ListenerStats {
  return { refused: 0, silent: 0, overCap: 0, ended: 0, long: 0 };
}

/** Logs a warning about one address at most once per `everyMs`, counting what it kept quiet. */
export class PerAddressWarnings {
  private readonly last = new Map<string, { at: number; quiet: number }>();

  constructor(
    private readonly everyMs = 60_000,
    private readonly now: () => number = Date.now,
  ) {}

  /** The line to log now (with how many were kept quiet since), or undefined to stay quiet. */
  line(key: string, text: string): string | undefined {
    const now = this.now();
    const seen = this.last.get(key);
    if (seen && now - seen.at < this.everyMs) {
      seen.quiet++;
      return undefined;
    }
    this.last.set(key, { at: now, quiet: 0 });
    if (this.last.size > 1024) this.last.delete(this.last.keys().next().value as string);
    const quiet = seen?.quiet ?? 0;
    return quiet > 0 ? `${text} (${quiet} more like it since the last such line)` : text;
  }
}

import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * V8's full collection as a function, without `--expose-gc` on the command
 * line (the shebang has no room left, see node-flags.ts): a context created
 * while the flag is set gets `gc`; the flag is reset right after, so no other
 * context sees it. Undefined if this V8 does not allow it.
 */
export function exposeGc(): (() => void) | undefined {
  const exposed = (globalThis as { gc?: () => void }).gc;
  if (exposed) return exposed;
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : undefined;
  } catch {
    return undefined;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/**
 * Gives a burst's heap pages back once the daemon is idle (an idle daemon allocates too little
 * for V8 to collect): `passes` full collections once the committed heap grew by `thresholdBytes`;
 * why two passes and 512 kB: docs/decisions.md, "Idle collection".
 */
export class IdleCollector {
  private baseline: number;

  constructor(
    private readonly collect: (() => void) | undefined = exposeGc(),
    // heapTotal without process.memoryUsage()'s RSS read from /proc.
    private readonly committed: () => number = () => getHeapStatistics().total_heap_size,
    private readonly thresholdBytes = 512 * 1024,
    private readonly passes = 2,
  ) {
    this.baseline = committed();
  }

  /** The daemon is idle: collect if the committed heap grew enough since the last time. True when it collected. */
  idle(): boolean {
    if (!this.collect) return false;
    // V8 may also shrink the heap on its own: growth counts from the lowest size seen.
    const committed = this.committed();
    this.baseline = Math.min(this.baseline, committed);
    if (committed - this.baseline < this.thresholdBytes) return false;
    for (let pass = 0; pass < this.passes; pass++) this.collect();
    this.baseline = this.committed();
    return true;
  }
}

import { randomBytes } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from './stats.js';

/** The directory of the probe files; it must exist on every node before the sync system starts. */
export const PROBE_DIR = 'probes';

export interface ProbeOptions {
  /** Each node's synced directory (index = node). */
  roots: string[];
  /** Time between two probes of one node, ms. @default 1000 */
  intervalMs: number;
  /** How often outstanding probes are checked, ms. @default 5 */
  pollMs: number;
  /** A probe not on a node after this long is a miss there, ms. @default 60000 */
  deadlineMs: number;
}

/** One probe file and when it reached each node (performance.now() times). */
export interface ProbeRecord {
  node: number;
  index: number;
  rel: string;
  /** Just before the write began. */
  writtenAt: number;
  /** Per node: arrival time; undefined for the writer itself and for a miss. */
  arrivals: Array<number | undefined>;
}

interface Outstanding {
  probe: ProbeRecord;
  target: number;
  path: string;
  bytes: Buffer;
}

/**
 * Every node writes a new probe file each interval; a poller checks only the
 * probes still on their way (a stat, and a read once the size is right) and
 * records when each reached each other node.
 */
export class ProbeRunner {
  readonly probes: ProbeRecord[] = [];
  private outstanding: Outstanding[] = [];
  private writing = false;
  private writers: Array<Promise<void>> = [];
  private poller: Promise<void> | undefined;
  private polling = false;

  constructor(private readonly options: ProbeOptions) {}

  /** Starts the writers (staggered across the interval) and the poller. */
  start(): void {
    this.writing = true;
    this.polling = true;
    const count = this.options.roots.length;
    const origin = performance.now();
    this.writers = this.options.roots.map((_, node) => this.writeLoop(node, origin + (node * this.options.intervalMs) / count));
    this.poller = this.poll();
  }

  /** Stops writing new probes; those on their way are still followed. */
  async stopWriting(): Promise<void> {
    this.writing = false;
    await Promise.all(this.writers);
  }

  /** Waits until every probe arrived everywhere or missed its deadline, then stops the poller. */
  async drain(): Promise<void> {
    while (this.outstanding.length > 0) await sleep(20);
    this.polling = false;
    await this.poller;
  }

  /** Ends at once (cleanup path). */
  async abort(): Promise<void> {
    this.writing = false;
    this.polling = false;
    await Promise.all(this.writers);
    await this.poller;
  }

  private async writeLoop(node: number, origin: number): Promise<void> {
    const root = this.options.roots[node] as string;
    for (let index = 0; this.writing; index++) {
      const wait = origin + index * this.options.intervalMs - performance.now();
      if (wait > 0) await sleep(wait);
      if (!this.writing) break;
      const rel = `${PROBE_DIR}/p${node}-${index}`;
      const bytes = Buffer.concat([Buffer.from(`probe ${node} ${index}\n`), randomBytes(48)]);
      const probe: ProbeRecord = { node, index, rel, writtenAt: performance.now(), arrivals: this.options.roots.map(() => undefined) };
      await writeFile(join(root, rel), bytes);
      this.probes.push(probe);
      this.options.roots.forEach((other, target) => {
        if (target !== node) this.outstanding.push({ probe, target, path: join(other, rel), bytes });
      });
    }
  }

  private async poll(): Promise<void> {
    while (this.polling) {
      const now = performance.now();
      const checks = this.outstanding.map(async (item): Promise<boolean> => {
        if (await holds(item.path, item.bytes)) {
          item.probe.arrivals[item.target] = performance.now();
          return true;
        }
        return now - item.probe.writtenAt > this.options.deadlineMs;
      });
      const done = await Promise.all(checks);
      const finished = new Set(this.outstanding.filter((_, i) => done[i]));
      if (finished.size > 0) this.outstanding = this.outstanding.filter((item) => !finished.has(item));
      await sleep(this.options.pollMs);
    }
  }
}

/** True when `path` holds exactly `bytes` (a stat first: most checks end there). */
async function holds(path: string, bytes: Buffer): Promise<boolean> {
  try {
    if ((await stat(path)).size !== bytes.length) return false;
    return (await readFile(path)).equals(bytes);
  } catch {
    return false;
  }
}

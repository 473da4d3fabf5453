import { appendFile, chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ChurnModel } from './churn-model.js';
import type { Prng } from './prng.js';
import { sleep } from './stats.js';

export type ChurnOp = 'create' | 'overwrite' | 'append' | 'chmod' | 'renameFile' | 'deleteFile' | 'mkdir' | 'renameDir' | 'removeDir';

/** How often each operation is drawn (relative weights). */
export const CHURN_WEIGHTS: Readonly<Record<ChurnOp, number>> = {
  create: 24,
  overwrite: 14,
  append: 10,
  chmod: 8,
  renameFile: 10,
  deleteFile: 9,
  mkdir: 10,
  renameDir: 5,
  removeDir: 3,
};

const FILE_MODES = [0o600, 0o644, 0o640, 0o664, 0o660, 0o755];
/** Deepest directory level a writer creates below its subtree root. */
const MAX_DEPTH = 4;

/** The process umask from /proc/self/status (process.umask() without an argument is deprecated). */
function currentUmask(): number {
  try {
    const match = /^Umask:\s+([0-7]+)/m.exec(readFileSync('/proc/self/status', 'utf8'));
    return match?.[1] ? parseInt(match[1], 8) : 0o022;
  } catch {
    return 0o022;
  }
}

export interface ChurnWriterOptions {
  /** The node's synced directory. */
  root: string;
  /** The writer's subtree below root, e.g. `w0`; it must exist on every node before the sync system starts. */
  subtree: string;
  /** Operations per second. @default 24 */
  rate: number;
  /** The node's own stream of the run's seed (Prng.forStream), so a seed replays the same operations. */
  prng: Prng;
}

export interface WriterResult {
  subtree: string;
  ops: number;
  byKind: Record<string, number>;
  /** Operations that threw (e.g. a directory the sync system removed); the model kept its state for them. */
  failures: number;
  failureSamples: string[];
}

/**
 * One node's writer: random operations in its own subtree on a fixed
 * schedule (`rate` per second, so a slow file system never thins them out),
 * each recorded in its model.
 */
export class ChurnWriter {
  readonly model = new ChurnModel();
  private readonly umask = currentUmask();
  private counter = 0;
  private ops = 0;
  private failures = 0;
  private readonly failureSamples: string[] = [];
  private readonly byKind: Record<string, number> = {};
  /** Every operation with its time, kept only when CHURN_LOG_DIR asks for the logs (to trace a lost change). */
  readonly journal: string[] | undefined = process.env.CHURN_LOG_DIR ? [] : undefined;

  constructor(private readonly options: ChurnWriterOptions) {
    this.model.set(options.subtree, { type: 'dir', mode: 0o777 & ~this.umask });
  }

  /** Runs until `until` (performance.now() time) or `shouldStop()`. */
  async run(until: number, shouldStop: () => boolean = () => false): Promise<WriterResult> {
    const origin = performance.now();
    const interval = 1000 / this.options.rate;
    for (let i = 0; ; i++) {
      const at = origin + i * interval;
      if (at >= until || shouldStop()) break;
      const wait = at - performance.now();
      if (wait > 0) await sleep(wait);
      await this.step();
    }
    return this.result();
  }

  result(): WriterResult {
    return { subtree: this.options.subtree, ops: this.ops, byKind: { ...this.byKind }, failures: this.failures, failureSamples: [...this.failureSamples] };
  }

  /** One random operation. */
  async step(): Promise<void> {
    const { prng } = this.options;
    let op = prng.weighted(CHURN_WEIGHTS);
    const files = this.model.files();
    const dirs = this.model.dirs();
    const movableDirs = dirs.filter((d) => d !== this.options.subtree);
    if (files.length === 0 && ['overwrite', 'append', 'chmod', 'renameFile', 'deleteFile'].includes(op)) op = 'create';
    if (movableDirs.length === 0 && (op === 'renameDir' || op === 'removeDir')) op = 'mkdir';
    this.ops++;
    this.byKind[op] = (this.byKind[op] ?? 0) + 1;
    try {
      const what = await this.apply(op, files, dirs, movableDirs);
      this.journal?.push(`${new Date().toISOString()} ${op} ${what}`);
    } catch (error) {
      this.failures++;
      if (this.failureSamples.length < 20) this.failureSamples.push(`${op}: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  private abs(rel: string): string {
    return join(this.options.root, rel);
  }

  private depth(rel: string): number {
    return rel.split('/').length - 1;
  }

  private async apply(op: ChurnOp, files: string[], dirs: string[], movableDirs: string[]): Promise<string> {
    const { prng } = this.options;
    const model = this.model;
    switch (op) {
      case 'create': {
        const rel = `${prng.pick(dirs)}/f${this.counter++}`;
        const bytes = prng.bytes(1 + prng.int(2048));
        await writeFile(this.abs(rel), bytes, { mode: 0o644 });
        model.set(rel, { type: 'file', mode: 0o644 & ~this.umask, bytes });
        return rel;
      }
      case 'overwrite': {
        const rel = prng.pick(files);
        const bytes = prng.bytes(1 + prng.int(2048));
        const entry = model.get(rel);
        await writeFile(this.abs(rel), bytes);
        model.set(rel, { type: 'file', mode: entry?.mode ?? 0o644 & ~this.umask, bytes });
        return rel;
      }
      case 'append': {
        const rel = prng.pick(files);
        const more = prng.bytes(1 + prng.int(512));
        const entry = model.get(rel);
        await appendFile(this.abs(rel), more);
        const before = entry?.type === 'file' ? entry.bytes : Buffer.alloc(0);
        model.set(rel, { type: 'file', mode: entry?.mode ?? 0o644 & ~this.umask, bytes: Buffer.concat([before, more]) });
        return rel;
      }
      case 'chmod': {
        const rel = prng.pick(files);
        const mode = prng.pick(FILE_MODES);
        const entry = model.get(rel);
        await chmod(this.abs(rel), mode);
        if (entry?.type === 'file') model.set(rel, { ...entry, mode });
        return `${rel} ${mode.toString(8)}`;
      }
      case 'renameFile': {
        const from = prng.pick(files);
        // A quarter replace an existing file: the atomic-save pattern (write a new file, rename it over the old one).
        const others = files.filter((f) => f !== from);
        const to = others.length > 0 && prng.next() < 0.25 ? prng.pick(others) : `${prng.pick(dirs)}/f${this.counter++}`;
        await rename(this.abs(from), this.abs(to));
        model.move(from, to);
        return `${from} -> ${to}`;
      }
      case 'deleteFile': {
        const rel = prng.pick(files);
        await rm(this.abs(rel));
        model.remove(rel);
        return rel;
      }
      case 'mkdir': {
        const parents = dirs.filter((d) => this.depth(d) < MAX_DEPTH);
        const rel = `${prng.pick(parents)}/d${this.counter++}`;
        await mkdir(this.abs(rel));
        model.set(rel, { type: 'dir', mode: 0o777 & ~this.umask });
        return rel;
      }
      case 'renameDir': {
        const from = prng.pick(movableDirs);
        const height = Math.max(...model.below(from).map((k) => this.depth(k))) - this.depth(from);
        const parents = dirs.filter((d) => d !== from && !d.startsWith(`${from}/`) && this.depth(d) + 1 + height <= MAX_DEPTH);
        const to = `${parents.length > 0 ? prng.pick(parents) : this.options.subtree}/d${this.counter++}`;
        await rename(this.abs(from), this.abs(to));
        model.move(from, to);
        return `${from} -> ${to}`;
      }
      case 'removeDir': {
        const rel = prng.pick(movableDirs);
        await rm(this.abs(rel), { recursive: true, force: true });
        model.remove(rel);
        return rel;
      }
    }
  }
}

import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalCluster } from '../../src/cluster/local-cluster.js';
import { sleep, summarize, type Summary } from './stats.js';

export interface LatencyOptions {
  /** Single-file writes on node A. @default 40 */
  writes: number;
  /** Time between the starts of two writes, ms (the spec: 1 s). @default 1000 */
  intervalMs: number;
  /** How often node B is checked, ms. @default 2 */
  pollMs: number;
  /** A write not on B after this long is a miss, ms. @default 10000 */
  deadlineMs: number;
  /** Directory (relative to the node's tree) the files go to; it must already exist on both nodes. */
  dirs: string[];
  /** File name prefix, so that several runs in one tree never reuse a name. */
  prefix: string;
}

export interface LatencyResult extends Summary {
  misses: number;
  /** Each write's time until B held the same bytes, ms (undefined = miss), in write order. */
  samples: Array<number | undefined>;
  options: Omit<LatencyOptions, 'dirs'> & { dirs: number };
}

/** Polls `file` until it holds `bytes`; the time since `since` in ms, or undefined at the deadline. */
async function arrival(file: string, bytes: Buffer, since: number, pollMs: number, deadlineMs: number): Promise<number | undefined> {
  for (;;) {
    try {
      if ((await readFile(file)).equals(bytes)) return performance.now() - since;
    } catch {
      // not there yet
    }
    if (performance.now() - since > deadlineMs) return undefined;
    await sleep(pollMs);
  }
}

/**
 * Latency: a new file written on A every `intervalMs` (writes are started on
 * a fixed schedule, so a slow agent never makes the writes sparser), each
 * timed from just before its write until B holds the same bytes.
 */
export async function latencyWorkload(cluster: LocalCluster, options: LatencyOptions): Promise<LatencyResult> {
  const a = cluster.node(0).dir;
  const b = cluster.node(1).dir;
  const pending: Array<Promise<number | undefined>> = [];
  const origin = performance.now();
  for (let i = 0; i < options.writes; i++) {
    const wait = origin + i * options.intervalMs - performance.now();
    if (wait > 0) await sleep(wait);
    const dir = options.dirs[i % options.dirs.length] ?? '';
    const rel = join(dir, `${options.prefix}-${String(i).padStart(3, '0')}.txt`);
    const bytes = Buffer.concat([Buffer.from(`latency write ${i} ${new Date().toISOString()}\n`), randomBytes(64)]);
    const started = performance.now();
    await writeFile(join(a, rel), bytes);
    pending.push(arrival(join(b, rel), bytes, started, options.pollMs, options.deadlineMs));
  }
  const samples = await Promise.all(pending);
  const arrived = samples.filter((ms): ms is number => ms !== undefined);
  return {
    ...summarize(arrived),
    misses: samples.length - arrived.length,
    samples,
    options: { ...options, dirs: options.dirs.length },
  };
}

export interface BurstOptions {
  /** @default 2000 */
  files: number;
  /** New directories the files are spread over. @default 20 */
  dirs: number;
  /** @default 60000 */
  deadlineMs: number;
  /** Directory name prefix, unique per run. */
  prefix: string;
  /** Bytes per file. @default 1024 */
  bytes: number;
}

export interface BurstResult {
  /** From the first mkdir until every file on B holds the same bytes, ms (undefined = missed the deadline). */
  ms: number | undefined;
  /** How long writing them on A took, ms. */
  writeMs: number;
  /** When a file was last seen missing on B, ms: the true time lies between this and `ms`. */
  lastMissingMs: number | undefined;
  /** Files not on B (or different) at the deadline. */
  missing: number;
  options: BurstOptions;
}

/** The burst's files: `files` files of `bytes` bytes spread over `dirs` new directories named `prefix-NN`. */
export function burstFiles(options: Pick<BurstOptions, 'files' | 'dirs' | 'bytes' | 'prefix'>): Array<{ rel: string; bytes: Buffer }> {
  const perDir = Math.ceil(options.files / options.dirs);
  const files: Array<{ rel: string; bytes: Buffer }> = [];
  for (let i = 0; i < options.files; i++) {
    const dir = `${options.prefix}-${String(Math.floor(i / perDir)).padStart(2, '0')}`;
    const head = Buffer.from(`burst file ${i} ${dir}\n`);
    files.push({ rel: join(dir, `file-${String(i).padStart(5, '0')}.dat`), bytes: Buffer.concat([head, randomBytes(Math.max(0, options.bytes - head.length))]) });
  }
  return files;
}

/**
 * Burst: `files` files in `dirs` new directories written on A at once (all
 * directories and files in parallel); timed until every one of them is on B
 * with the same bytes. B is checked in passes over the files still missing.
 */
export async function burstWorkload(cluster: LocalCluster, options: BurstOptions): Promise<BurstResult> {
  const a = cluster.node(0).dir;
  const b = cluster.node(1).dir;
  const files = burstFiles(options);
  const started = performance.now();
  const dirs = [...new Set(files.map((f) => f.rel.split('/')[0] ?? ''))];
  await Promise.all(
    dirs.map(async (dir) => {
      await mkdir(join(a, dir));
      await Promise.all(files.filter((f) => f.rel.startsWith(`${dir}/`)).map((f) => writeFile(join(a, f.rel), f.bytes)));
    }),
  );
  const writeMs = performance.now() - started;
  let missing = files;
  let lastMissingMs: number | undefined;
  while (missing.length > 0 && performance.now() - started < options.deadlineMs) {
    const still: typeof files = [];
    for (let i = 0; i < missing.length; i += 64) {
      const chunk = missing.slice(i, i + 64);
      const checkedAt = performance.now() - started;
      const ok = await Promise.all(chunk.map((f) => readFile(join(b, f.rel)).then((got) => got.equals(f.bytes), () => false)));
      if (ok.includes(false)) lastMissingMs = checkedAt;
      chunk.forEach((f, j) => {
        if (!ok[j]) still.push(f);
      });
      // Once one file is missing the rest of this pass is checked next time: B fills in order of csync2's work.
      if (still.length > 0) {
        still.push(...missing.slice(i + 64));
        break;
      }
    }
    missing = still;
    if (missing.length > 0) await sleep(10);
  }
  const ms = missing.length === 0 ? performance.now() - started : undefined;
  return { ms, writeMs, lastMissingMs, missing: missing.length, options };
}

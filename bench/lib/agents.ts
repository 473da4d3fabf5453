import { execa, type ResultPromise } from 'execa';
import { writeFile, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess, type DaemonProcessOptions } from '../../src/cluster/daemon-process.js';
import type { LocalCluster } from '../../src/cluster/local-cluster.js';
import { RsyncDaemons } from '../../test/helpers/rsync-daemon.js';
import { statusKb } from './proc.js';
import { sleep } from './stats.js';

/**
 * Something that keeps node B in step with node A: the daemon, the status-quo
 * `csync2 -x` loop, or another daemon given on the command line. The
 * workloads only write on A and read on B, so they work against any of them.
 */
export interface SyncAgent {
  readonly name: string;
  /** Starts it; resolves when it runs (for the daemon: watches set and start-up full sync done). */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** The process whose CPU and memory count as this agent's on node A. */
  readonly pid: number | undefined;
}

/** The daemon on both nodes, run from dist/ as an admin would (DaemonProcess, --full-sync-interval 0). */
export class DaemonAgent implements SyncAgent {
  readonly name: string = 'inotify-csync';
  daemons: DaemonProcess[] = [];
  /** Milliseconds from spawn to "running" per node. */
  readyMs: number[] = [];
  /** Each node's log, kept when it stops (index 0 = A). */
  logs: string[][] = [];

  constructor(
    protected readonly cluster: LocalCluster,
    protected options: DaemonProcessOptions = {},
    private readonly readyTimeoutMs = 120_000,
  ) {}

  get pid(): number | undefined {
    return this.daemons[0]?.pid;
  }

  get a(): DaemonProcess {
    const daemon = this.daemons[0];
    if (!daemon) throw new Error('daemon A is not running');
    return daemon;
  }

  /** Starts B first, then A, so that A's start-up update finds B's server. */
  async start(): Promise<void> {
    for (const index of [1, 0]) {
      const started = performance.now();
      const daemon = DaemonProcess.start(this.cluster, index, this.options);
      this.daemons[index] = daemon;
      await daemon.ready(this.readyTimeoutMs);
      this.readyMs[index] = performance.now() - started;
    }
  }

  async stop(): Promise<void> {
    await Promise.all(this.daemons.map((d) => d.stop()));
    this.logs = this.daemons.map((d) => [...d.lines]);
    this.daemons = [];
  }
}

/**
 * The daemon with rsync for batches from `threshold` paths on, through an
 * rsync daemon per node on loopback (as in the tests): what a burst costs when
 * csync2 does not carry the files.
 */
export class RsyncDaemonAgent extends DaemonAgent {
  override readonly name: string;
  private rsyncd: RsyncDaemons | undefined;

  constructor(cluster: LocalCluster, private readonly threshold: number, args: string[] = []) {
    super(cluster, { args });
    this.name = `inotify-csync --rsync-threshold ${threshold}`;
  }

  override async start(): Promise<void> {
    this.rsyncd = await RsyncDaemons.start(this.cluster);
    this.options = { ...this.options, args: [...(this.options.args ?? []), '--rsync-target', this.rsyncd.target, '--rsync-threshold', String(this.threshold)] };
    await super.start();
  }

  override async stop(): Promise<void> {
    await super.stop();
    await this.rsyncd?.stop();
  }
}

/** Which node an agent runs as, and which nodes' csync2 servers it starts and stops itself. */
export interface AgentPlacement {
  /** The node the agent runs on. @default 0 */
  node?: number;
  /** Nodes whose csync2 server the agent starts and stops (a multi-node bench starts them all itself: []). @default [1] */
  servers?: number[];
}

/**
 * The status quo: `while true; do csync2 -x; sleep 1; done` on node A, as an
 * argument-array loop in Node (no shell), with node B's csync2 server running.
 */
export class XLoopAgent implements SyncAgent {
  readonly name = 'csync2 -x loop';
  private running = false;
  /** Set while paused (a frozen node): the loop waits for it before the next pass. */
  private held: { promise: Promise<void>; release: () => void } | undefined;
  private readonly node: number;
  private readonly servers: number[];
  private loop: Promise<void> | undefined;
  private current: ResultPromise | undefined;
  /** Wall time of each `csync2 -x` pass, ms. */
  readonly passMs: number[] = [];
  /** Exit codes seen, for the report (1 = conflicts or peer trouble). */
  readonly exitCodes = new Map<number, number>();
  /** Largest peak RSS (VmHWM) seen of a `csync2 -x` process, kB. */
  peakRssKb = 0;
  /** Passes started. */
  passes = 0;

  constructor(
    private readonly cluster: LocalCluster,
    private readonly sleepMs = 1000,
    placement: AgentPlacement = {},
  ) {
    this.node = placement.node ?? 0;
    this.servers = placement.servers ?? [1];
  }

  get pid(): number | undefined {
    return this.current?.pid;
  }

  async start(): Promise<void> {
    for (const index of this.servers) await this.cluster.startServer(index);
    this.running = true;
    this.loop = this.run();
  }

  /** Starts no new pass until resume() (the pass under way is the caller's to stop). */
  pause(): void {
    if (this.held) return;
    let release = (): void => {};
    const promise = new Promise<void>((resolve) => {
      release = resolve;
    });
    this.held = { promise, release };
  }

  resume(): void {
    this.held?.release();
    this.held = undefined;
  }

  private async run(): Promise<void> {
    while (this.running) {
      if (this.held) await this.held.promise;
      if (!this.running) break;
      const started = performance.now();
      this.passes++;
      const child = execa('csync2', [...this.cluster.csync2Args(this.node), '-x'], { env: this.cluster.env, reject: false, stdin: 'ignore' });
      this.current = child as unknown as ResultPromise;
      const sampler = setInterval(() => {
        if (child.pid !== undefined) this.peakRssKb = Math.max(this.peakRssKb, statusKb(child.pid, 'VmHWM') ?? 0);
      }, 50);
      const result = await child;
      clearInterval(sampler);
      this.current = undefined;
      this.passMs.push(performance.now() - started);
      const code = result.exitCode ?? -1;
      this.exitCodes.set(code, (this.exitCodes.get(code) ?? 0) + 1);
      if (this.running) await sleep(this.sleepMs);
    }
  }

  async stop(): Promise<void> {
    this.running = false;
    this.resume();
    await this.loop;
    for (const index of this.servers) await this.cluster.stopServer(index);
  }
}

/**
 * Another daemon for comparison (e.g. the original inotify_csync.sh), from
 * INOTIFY_CSYNC_BENCH_OTHER="command args": split on spaces into an argv
 * array (no shell). `{host}`, `{db}`, `{port}`, `{etc}`, `{config}` and
 * `{dir}` are replaced with its node's values (node A unless `placement`
 * says otherwise); without any `{...}` the cluster's csync2 options (`-N host
 * -D db -p port`) are appended. It runs with CSYNC2_SYSTEM_DIR set, in its own
 * process group (stopped with SIGTERM, then SIGKILL, to that group only),
 * while the bench runs the peers' servers (node B's unless placed).
 */
export class OtherAgent implements SyncAgent {
  readonly name: string;
  private child: ResultPromise | undefined;
  readonly argv: string[];
  output = '';

  private readonly servers: number[];

  constructor(
    private readonly cluster: LocalCluster,
    command: string,
    placement: AgentPlacement = {},
  ) {
    const index = placement.node ?? 0;
    this.servers = placement.servers ?? [1];
    const node = cluster.node(index);
    const values: Record<string, string> = {
      host: node.host,
      db: node.db,
      port: String(cluster.port),
      etc: cluster.etcDir,
      config: join(cluster.etcDir, 'csync2.cfg'),
      dir: node.dir,
    };
    const words = command.trim().split(/\s+/).filter(Boolean);
    const templated = words.some((w) => /\{\w+\}/.test(w));
    this.argv = words.map((w) => w.replace(/\{(\w+)\}/g, (all, key: string) => values[key] ?? all));
    if (!templated) this.argv.push(...cluster.csync2Args(index));
    this.name = `other: ${words[0] ?? '?'}`;
  }

  get pid(): number | undefined {
    return this.child?.pid;
  }

  async start(): Promise<void> {
    const [file, ...args] = this.argv;
    if (!file) throw new Error('INOTIFY_CSYNC_BENCH_OTHER is empty');
    for (const index of this.servers) await this.cluster.startServer(index);
    const child = execa(file, args, {
      env: this.cluster.env,
      reject: false,
      stdin: 'ignore',
      all: true,
      buffer: false,
      detached: true,
      cwd: this.cluster.root,
    });
    child.all?.on('data', (chunk: Buffer) => {
      this.output = (this.output + chunk.toString()).slice(-20_000);
    });
    this.child = child as unknown as ResultPromise;
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (child?.pid !== undefined && child.exitCode === null) {
      const group = -child.pid;
      try {
        process.kill(group, 'SIGTERM');
      } catch {
        // already gone
      }
      const ended = await Promise.race([child.then(() => true), sleep(3000).then(() => false)]);
      if (!ended) {
        try {
          process.kill(group, 'SIGKILL');
        } catch {
          // already gone
        }
        await child;
      }
    }
    this.child = undefined;
    for (const index of this.servers) await this.cluster.stopServer(index);
  }
}

/**
 * Waits until a fresh file written on A shows up on B: every agent is
 * measured only once it demonstrably syncs (an agent without a ready signal
 * of its own, like the -x loop, becomes "ready" here).
 */
export async function waitUntilSyncing(cluster: LocalCluster, rel: string, timeoutMs: number): Promise<number> {
  const bytes = Buffer.from(`probe ${rel} ${Date.now()} ${Math.random()}\n`);
  const started = performance.now();
  await writeFile(join(cluster.node(0).dir, rel), bytes);
  const target = join(cluster.node(1).dir, rel);
  while (performance.now() - started < timeoutMs) {
    try {
      if ((await readFile(target)).equals(bytes)) return performance.now() - started;
    } catch {
      // not there yet
    }
    await sleep(10);
  }
  throw new Error(`${rel} written on node A did not reach node B within ${timeoutMs / 1000} s`);
}

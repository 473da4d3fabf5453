import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import type { LocalCluster } from '../../src/cluster/local-cluster.js';
import { OtherAgent, XLoopAgent } from './agents.js';
import { freezeTrees, thaw } from './freeze.js';

/** A sync system run on every node of a cluster: the daemon, the -x loop, or another script. */
export interface ChurnSystem {
  readonly name: string;
  /** Starts it on every node; resolves when it runs everywhere. */
  start(): Promise<void>;
  stop(): Promise<void>;
  /** SIGSTOPs everything of node `index` (its processes and their descendants). */
  freeze(index: number): Frozen;
  /** Each node's log lines, when the system keeps one (the daemon). */
  logs(): string[][];
}

export type SystemKind = 'daemon' | 'loop' | 'other';

/** A frozen node: the PIDs stopped, and how to let them go on. */
export interface Frozen {
  pids: number[];
  resume(): void;
}

/** The daemon from dist/ on every node, default settings (as DaemonProcess runs it), all started at once. */
export class DaemonSystem implements ChurnSystem {
  readonly name = 'inotify-csync';
  private daemons: DaemonProcess[] = [];
  private kept: string[][] = [];

  constructor(
    private readonly cluster: LocalCluster,
    private readonly args: string[] = [],
    private readonly readyTimeoutMs = 120_000,
  ) {}

  async start(): Promise<void> {
    this.daemons = this.cluster.nodes.map((_, index) => DaemonProcess.start(this.cluster, index, { args: this.args }));
    await Promise.all(this.daemons.map((d) => d.ready(this.readyTimeoutMs)));
  }

  async stop(): Promise<void> {
    const daemons = this.daemons;
    this.daemons = [];
    await Promise.all(daemons.map((d) => d.stop()));
    if (daemons.length > 0) this.kept = daemons.map((d) => [...d.lines]);
  }

  freeze(index: number): Frozen {
    const pid = this.daemons[index]?.pid;
    if (pid === undefined) throw new Error(`no daemon runs on node ${index}`);
    const pids = freezeTrees([pid]);
    return { pids, resume: () => thaw(pids) };
  }

  logs(): string[][] {
    return this.daemons.length > 0 ? this.daemons.map((d) => [...d.lines]) : this.kept;
  }
}

/** Starts every node's csync2 server (the loop and other scripts do not run one). */
async function startServers(cluster: LocalCluster): Promise<void> {
  for (let index = 0; index < cluster.nodes.length; index++) await cluster.startServer(index);
}

async function stopServers(cluster: LocalCluster): Promise<void> {
  for (let index = 0; index < cluster.nodes.length; index++) await cluster.stopServer(index);
}

/** The server's PID of node `index`, to freeze it with the node. */
function serverPid(cluster: LocalCluster, index: number): number[] {
  const pid = cluster.servers.get(index)?.pid;
  return pid === undefined ? [] : [pid];
}

/** The status quo on every node: `csync2 -x; sleep 1` in a loop, with every node's csync2 server running. */
export class LoopSystem implements ChurnSystem {
  readonly name = 'csync2 -x loop';
  private readonly loops: XLoopAgent[];

  constructor(private readonly cluster: LocalCluster) {
    this.loops = cluster.nodes.map((_, node) => new XLoopAgent(cluster, 1000, { node, servers: [] }));
  }

  async start(): Promise<void> {
    await startServers(this.cluster);
    for (const loop of this.loops) await loop.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.loops.map((l) => l.stop()));
    await stopServers(this.cluster);
  }

  /** The loop starts no new pass; its server and the pass under way are stopped. */
  freeze(index: number): Frozen {
    const loop = this.loops[index] as XLoopAgent;
    loop.pause();
    const pids = freezeTrees([...serverPid(this.cluster, index), ...(loop.pid === undefined ? [] : [loop.pid])]);
    return {
      pids,
      resume: () => {
        thaw(pids);
        loop.resume();
      },
    };
  }

  logs(): string[][] {
    return [];
  }

  /** Exit codes of all passes, per node. */
  exitCodes(): Array<Record<string, number>> {
    return this.loops.map((l) => Object.fromEntries(l.exitCodes));
  }
}

/** Another script (INOTIFY_CSYNC_BENCH_OTHER) on every node, with every node's csync2 server running. */
export class OtherSystem implements ChurnSystem {
  readonly name: string;
  private readonly agents: OtherAgent[];

  constructor(
    private readonly cluster: LocalCluster,
    command: string,
  ) {
    this.agents = cluster.nodes.map((_, node) => new OtherAgent(cluster, command, { node, servers: [] }));
    this.name = this.agents[0]?.name ?? 'other';
  }

  async start(): Promise<void> {
    await startServers(this.cluster);
    for (const agent of this.agents) await agent.start();
  }

  async stop(): Promise<void> {
    await Promise.all(this.agents.map((a) => a.stop()));
    await stopServers(this.cluster);
  }

  freeze(index: number): Frozen {
    const pid = this.agents[index]?.pid;
    const pids = freezeTrees([...serverPid(this.cluster, index), ...(pid === undefined ? [] : [pid])]);
    return { pids, resume: () => thaw(pids) };
  }

  logs(): string[][] {
    return this.agents.map((a) => a.output.split('\n').slice(-200));
  }
}

export interface SystemSettings {
  /** Extra daemon options (--daemon-arg). */
  daemonArgs: string[];
  /** INOTIFY_CSYNC_BENCH_OTHER. */
  otherCommand?: string;
  /** Longest the daemons may take to be ready (a big tree's start-up full sync). */
  readyTimeoutMs: number;
}

export function makeSystem(kind: SystemKind, cluster: LocalCluster, settings: SystemSettings): ChurnSystem {
  switch (kind) {
    case 'daemon':
      // --debug: every csync2 call and session with its time, for the report's "where the time goes".
      return new DaemonSystem(cluster, [...new Set(['--debug', ...settings.daemonArgs])], settings.readyTimeoutMs);
    case 'loop':
      return new LoopSystem(cluster);
    case 'other':
      if (!settings.otherCommand) throw new Error('--systems other needs INOTIFY_CSYNC_BENCH_OTHER="command args"');
      return new OtherSystem(cluster, settings.otherCommand);
  }
}

import { execa } from 'execa';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ChildProcesses } from '../process/child-processes.js';
import { addSbinToPath } from '../process/sbin-path.js';
import { processListensOn } from '../sync/listen-probe.js';
import { renderClusterConfig } from './cluster-config.js';

addSbinToPath();

export interface LocalNode {
  /** csync2 host name: 127.0.0.(2+index). */
  host: string;
  /** The synced directory of this node. */
  dir: string;
  /** This node's csync2 database directory (`-D`). */
  db: string;
  readOnly: boolean;
}

export interface LocalClusterOptions {
  /** How many nodes. @default 2 */
  nodes?: number;
  /** Indexes of nodes listed as read-only `(host)`. @default [] */
  readOnly?: number[];
  /** Exclude patterns. @default ['*.tmp', '*~'] */
  excludes?: string[];
  /** Set csync2's tempdir outside the trees. @default true */
  tempdir?: boolean;
  /** Parent of the cluster's temporary directory. @default os.tmpdir() */
  parent?: string;
  /** Each node's directory name inside the cluster's directory (spaces and shell characters allowed). @default 'a', 'b', ... */
  dirNames?: string[];
  /**
   * csync2's `-D` for every node instead of its own SQLite directory: a
   * server URL without a database name (`pgsql://user:pw@127.0.0.1:PORT/`),
   * in which csync2 gives each node its own database, `csync2_<host>`.
   */
  databaseUrl?: string;
}

/**
 * A real csync2 cluster on one machine (see shared/CLUSTER.md): nodes on
 * 127.0.0.2, .3, ... each with its own directory and database, one shared
 * config and key in a temporary directory, and a port of its own so that
 * clusters never meet. Nothing outside its directory is touched.
 */
export class LocalCluster {
  readonly nodes: LocalNode[];
  readonly servers = new Map<number, ReturnType<ChildProcesses['start']>>();
  private readonly children = new ChildProcesses();

  private constructor(
    readonly root: string,
    readonly etcDir: string,
    readonly port: number,
    nodes: LocalNode[],
    readonly databaseUrl?: string,
  ) {
    this.nodes = nodes;
  }

  static async create(options: LocalClusterOptions = {}): Promise<LocalCluster> {
    const count = options.nodes ?? 2;
    const root = await mkdtemp(join(options.parent ?? tmpdir(), 'inotify-csync-cluster-'));
    const etcDir = join(root, 'etc');
    await mkdir(etcDir, { recursive: true });
    const nodes: LocalNode[] = [];
    for (let index = 0; index < count; index++) {
      const name = String.fromCharCode(97 + index);
      const node: LocalNode = {
        host: `127.0.0.${2 + index}`,
        dir: join(root, options.dirNames?.[index] ?? name),
        db: join(root, `db-${name}`),
        readOnly: options.readOnly?.includes(index) ?? false,
      };
      await mkdir(node.dir, { recursive: true });
      await mkdir(node.db, { recursive: true });
      nodes.push(node);
    }
    const keyFile = join(etcDir, 'csync2.key');
    await execa('csync2', ['-k', keyFile]);
    const tempdir = options.tempdir === false ? undefined : join(root, 'tmp');
    if (tempdir) await mkdir(tempdir, { recursive: true });
    await writeFile(
      join(etcDir, 'csync2.cfg'),
      renderClusterConfig({ nodes, keyFile, excludes: options.excludes, tempdir }),
    );
    const port = 20000 + Math.floor(Math.random() * 20000);
    return new LocalCluster(root, etcDir, port, nodes, options.databaseUrl);
  }

  /** Environment every csync2 call of this cluster needs. */
  get env(): Record<string, string> {
    return { CSYNC2_SYSTEM_DIR: this.etcDir };
  }

  node(index: number): LocalNode {
    const node = this.nodes[index];
    if (!node) throw new Error(`no node ${index} in a cluster of ${this.nodes.length}`);
    return node;
  }

  /** The csync2 options of a node: what the daemon passes on to every csync2 call. */
  csync2Args(index: number): string[] {
    const node = this.node(index);
    return ['-N', node.host, '-D', this.databaseUrl ?? node.db, '-p', String(this.port)];
  }

  /** Runs a csync2 client command as node `index` (e.g. `['-M']`), never throwing. */
  async csync2(index: number, args: string[]) {
    return execa('csync2', [...this.csync2Args(index), ...args], { env: this.env, reject: false, stdin: 'ignore' });
  }

  /** Starts node `index`'s csync2 server (for a node that runs no daemon) and waits until it accepts. */
  async startServer(index: number): Promise<void> {
    if (this.servers.has(index)) return;
    const server = this.children.start('csync2', ['-ii', '-t', ...this.csync2Args(index)], {
      env: this.env,
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'ignore',
      reject: false,
    });
    this.servers.set(index, server);
    await waitForListening(server.pid, this.port, 5000);
  }

  async stopServer(index: number): Promise<void> {
    const server = this.servers.get(index);
    if (!server) return;
    this.servers.delete(index);
    server.kill('SIGTERM');
    await server;
  }

  /** Stops every server and removes the cluster's directory. */
  async destroy(): Promise<void> {
    this.servers.clear();
    await this.children.stopAll(2000);
    await rm(this.root, { recursive: true, force: true });
  }
}

async function waitForListening(pid: number | undefined, port: number, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (pid === undefined || processListensOn(pid, port) !== true) {
    if (Date.now() > deadline) throw new Error(`csync2 server (PID ${pid}) did not listen on port ${port} within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

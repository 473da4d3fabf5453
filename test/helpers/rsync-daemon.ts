import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { LocalCluster } from '../../src/cluster/local-cluster.js';
import { ChildProcesses } from '../../src/process/child-processes.js';
import { processListensOn } from '../../src/sync/listen-probe.js';
import { waitFor } from './wait.js';

/**
 * One rsync daemon per cluster node, on the node's loopback address, serving
 * the node's directory as module `data` (the cluster's `%data%` prefix), so
 * tests need no ssh keys: the daemons are told `--rsync-target
 * rsync://{host}:PORT/{module}/`. Runs as the test's user (root in CI) so
 * owners and modes are kept.
 */
export class RsyncDaemons {
  private readonly children = new ChildProcesses();
  private readonly running = new Map<number, ReturnType<ChildProcesses['start']>>();

  private constructor(
    private readonly cluster: LocalCluster,
    readonly port: number,
  ) {}

  static async start(cluster: LocalCluster, indexes: number[] = cluster.nodes.map((_, index) => index)): Promise<RsyncDaemons> {
    for (let attempt = 0; ; attempt++) {
      const daemons = new RsyncDaemons(cluster, 40000 + Math.floor(Math.random() * 20000));
      try {
        for (const index of indexes) await daemons.startNode(index);
        return daemons;
      } catch (error) {
        await daemons.stop();
        if (attempt >= 4) throw error;
      }
    }
  }

  /** The `--rsync-target` template reaching these daemons. */
  get target(): string {
    return `rsync://{host}:${this.port}/{module}/`;
  }

  async startNode(index: number): Promise<void> {
    if (this.running.has(index)) return;
    const node = this.cluster.node(index);
    const config = join(this.cluster.root, `rsyncd-${index}.conf`);
    await writeFile(config, [
      'use chroot = no',
      'munge symlinks = no',
      'numeric ids = yes',
      'uid = 0',
      'gid = 0',
      `log file = ${join(this.cluster.root, `rsyncd-${index}.log`)}`,
      '[data]',
      `  path = ${node.dir}`,
      '  read only = no',
      '',
    ].join('\n'));
    const daemon = this.children.start('rsync', ['--daemon', '--no-detach', '--config', config, '--port', String(this.port), '--address', node.host], {
      stdin: 'ignore',
      stdout: 'ignore',
      stderr: 'ignore',
      reject: false,
    });
    this.running.set(index, daemon);
    await waitFor(() => {
      if (daemon.exitCode !== null) throw new Error(`rsync daemon for node ${index} exited (${daemon.exitCode})`);
      return daemon.pid !== undefined && processListensOn(daemon.pid, this.port) === true;
    }, `the rsync daemon of node ${index} listening on ${node.host}:${this.port}`, 10_000, 20);
  }

  async stopNode(index: number): Promise<void> {
    const daemon = this.running.get(index);
    if (!daemon) return;
    this.running.delete(index);
    daemon.kill('SIGTERM');
    await daemon;
  }

  async stop(): Promise<void> {
    this.running.clear();
    await this.children.stopAll(2000);
  }
}

import { mkdir, readdir, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { RsyncDaemons } from '../../test/helpers/rsync-daemon.js';
import { waitFor } from '../../test/helpers/wait.js';

const PER_DIR = 100;

export interface LargeBatchResult {
  /** Paths in the largest batch of the burst. */
  paths: number;
  rsyncMs?: number;
  csync2Ms: number;
  /** From the first move into the tree until every peer holds every file. */
  arrivalMs: number;
  /** From the first move until csync2 on node A has nothing dirty left (`-M` exit 2). */
  cleanMs: number;
}

async function countFiles(root: string): Promise<number> {
  let count = 0;
  for (const dir of await readdir(root)) count += (await readdir(join(root, dir))).length;
  return count;
}

export interface LargeBatchOptions {
  files: number;
  /** Bytes per file. */
  bytes: number;
  nodes: number;
  withRsync: boolean;
}

/**
 * One batch of `files` new files on node A of a fresh cluster, sent through
 * rsync (then csync2 -cr and the updates, which find the files already there)
 * or through csync2 alone. The daemons run with --debug so the time of each
 * step is read from their own log.
 */
export async function largeBatchRun(options: LargeBatchOptions): Promise<LargeBatchResult> {
  const { files: FILES, bytes: BYTES, nodes: NODES, withRsync } = options;
  const cluster = await LocalCluster.create({ nodes: NODES });
  const rsyncd = withRsync ? await RsyncDaemons.start(cluster) : undefined;
  const daemons: DaemonProcess[] = [];
  try {
    // check-interval 4: the burst after its first paths waits for one batch; rsync from 1,000 paths on.
    const args = ['--check-interval', '4', '--debug', ...(rsyncd ? ['--rsync-target', rsyncd.target, '--rsync-threshold', '1000'] : [])];
    for (let index = 0; index < NODES; index++) daemons.push(DaemonProcess.start(cluster, index, { args }));
    await Promise.all(daemons.map((daemon) => daemon.ready(120_000)));
    const a = join(cluster.node(0).dir, 'batch');
    const stage = join(cluster.root, 'stage');
    const dirs = Math.ceil(FILES / PER_DIR);
    for (let d = 0; d < dirs; d++) {
      await mkdir(join(a, `d${d}`), { recursive: true });
      await mkdir(join(stage, `d${d}`), { recursive: true });
    }
    for (let index = 1; index < NODES; index++) {
      await waitFor(async () => (await readdir(join(cluster.node(index).dir, 'batch')).catch(() => [])).length === dirs, 'the directories on the peers', 60_000, 100);
    }
    const content = Buffer.alloc(BYTES, 'x');
    for (let i = 0; i < FILES; i++) await writeFile(join(stage, `d${i % dirs}`, `f${i}`), content);
    const daemon = daemons[0];
    if (!daemon) throw new Error('no daemon');
    const from = daemon.lines.length;
    const started = performance.now();
    for (let i = 0; i < FILES; i++) await rename(join(stage, `d${i % dirs}`, `f${i}`), join(a, `d${i % dirs}`, `f${i}`));
    for (let index = 1; index < NODES; index++) {
      await waitFor(async () => (await countFiles(join(cluster.node(index).dir, 'batch'))) === FILES, `${FILES} files on node ${index}`, 600_000, 100);
    }
    const arrivalMs = performance.now() - started;
    // Every batch of the burst (the first few paths go alone, the rest in one large
    // batch): the rsync and csync2 steps, summed from the daemon's own log once
    // csync2 has nothing dirty left on node A.
    await waitFor(async () => (await cluster.csync2(0, ['-M'])).exitCode === 2, 'nothing dirty on node A', 600_000, 100);
    const cleanMs = performance.now() - started;
    await daemon.waitForLine(/batch of \d{4,} paths done in \d+ ms/, 600_000);
    const lines = daemon.lines.slice(from);
    const batches = lines.map((line) => /batch of (\d+) paths done in (\d+) ms/.exec(line)).filter((m): m is RegExpExecArray => m !== null);
    const paths = Math.max(...batches.map((m) => Number(m[1])));
    const csync2Ms = batches.reduce((sum, m) => sum + Number(m[2]), 0);
    const rsyncSteps = lines.map((line) => /rsync step took (\d+) ms/.exec(line)).filter((m): m is RegExpExecArray => m !== null);
    const rsyncMs = rsyncSteps.length > 0 ? rsyncSteps.reduce((sum, m) => sum + Number(m[1]), 0) : undefined;
    if (withRsync && !daemon.lines.slice(from).some((line) => /LARGE BATCH: rsync sent/.test(line))) {
      throw new Error(`the batch did not go through rsync:\n${daemon.lines.slice(from).join('\n')}`);
    }
    return { paths, rsyncMs, csync2Ms, arrivalMs, cleanMs };
  } finally {
    await Promise.all(daemons.map((daemon) => daemon.stop()));
    await rsyncd?.stop();
    await cluster.destroy();
  }
}


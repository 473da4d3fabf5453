import assert from 'node:assert/strict';
import { appendFile, chmod, mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { diffSnapshots, snapshot, waitFor } from '../helpers/wait.js';

// In the spirit of lsyncd's churn tests: several writers create, append to,
// rename (files and directories), chmod and delete random paths on one node,
// with bursts past the batch threshold; then the writers stop and every node's
// tree must be identical (content and modes) within 10 s.
const CHURN_MS = Number(process.env.CHURN_SECONDS ?? 60) * 1000;
// A burst is a few more files than the threshold: it makes a full sync. Every file
// costs csync2 time to send, and again when its directory is renamed (two operations
// per file and peer: 550 files took 1.7 to 3.8 s to two peers on an idle 2-core
// machine), so the burst is what a full sync needs, not more.
const THRESHOLD = 200;
const BURST_FILES = THRESHOLD + 20;
/** Each writer pours a burst into a new directory every this many operations. */
const BURST_EVERY = 400;
let cluster: LocalCluster;
let daemons: DaemonProcess[] = [];

before(async () => {
  cluster = await LocalCluster.create({ nodes: 3 });
  // The daemon runs where the writers write; B and C run csync2's server, as replicas do.
  // (With a daemon on every node, a peer's echo of a change can meet the next change in
  // csync2's conflict resolution: an open problem noted in the README, not tested here.)
  await cluster.startServer(1);
  await cluster.startServer(2);
  daemons = [DaemonProcess.start(cluster, 0, { args: ['--num-batched-changes-threshold', String(THRESHOLD)] })];
  await Promise.all(daemons.map((daemon) => daemon.ready()));
});

after(async () => {
  // CHURN_LOG=FILE keeps every node's log for a closer look.
  if (process.env.CHURN_LOG) {
    const { writeFileSync } = await import('node:fs');
    writeFileSync(process.env.CHURN_LOG, daemons.map((d, i) => `=== node ${i}\n${d.log}`).join('\n'));
  }
  await Promise.all(daemons.map((daemon) => daemon.stop()));
  await cluster.destroy();
});

/** A small deterministic PRNG so a failing run can be replayed with the same seed. */
function random(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state * 1664525 + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
}

async function writer(root: string, id: number, until: number, rnd: () => number): Promise<number> {
  const dirs = [''];
  const files: string[] = [];
  const pick = <T>(list: T[]): T | undefined => list[Math.floor(rnd() * list.length)];
  let ops = 0;
  let serial = 0;
  while (Date.now() < until) {
    const roll = rnd();
    const name = `w${id}-${serial++}`;
    try {
      if (ops % BURST_EVERY === BURST_EVERY / 2) {
        // A burst past the batch threshold: the daemon turns it into a full sync.
        const dir = `burst-${name}`;
        await mkdir(join(root, dir));
        dirs.push(dir);
        for (let i = 0; i < BURST_FILES; i++) await writeFile(join(root, dir, `b${i}`), `${i}\n`);
      } else if (roll < 0.3) {
        const file = join(pick(dirs) ?? '', `${name}.txt`);
        await writeFile(join(root, file), `${name} ${rnd()}\n`);
        files.push(file);
      } else if (roll < 0.42) {
        const file = pick(files);
        if (file) await appendFile(join(root, file), `more ${rnd()}\n`);
      } else if (roll < 0.52) {
        const dir = join(pick(dirs) ?? '', `d-${name}`);
        await mkdir(join(root, dir));
        dirs.push(dir);
      } else if (roll < 0.62) {
        const file = pick(files);
        if (file) {
          const target = join(pick(dirs) ?? '', `${name}-moved.txt`);
          await rename(join(root, file), join(root, target));
          files.splice(files.indexOf(file), 1, target);
        }
      } else if (roll < 0.67) {
        const dir = pick(dirs.filter((d) => d !== ''));
        if (dir) {
          const target = `${dir}-renamed${serial}`;
          await rename(join(root, dir), join(root, target));
          for (const list of [dirs, files]) {
            for (let i = 0; i < list.length; i++) {
              const entry = list[i] as string;
              if (entry === dir || entry.startsWith(`${dir}/`)) list[i] = target + entry.slice(dir.length);
            }
          }
        }
      } else if (roll < 0.77) {
        const file = pick(files);
        if (file) await chmod(join(root, file), rnd() < 0.5 ? 0o600 : 0o644);
      } else if (roll < 0.9) {
        const file = pick(files);
        if (file) {
          await rm(join(root, file), { force: true });
          files.splice(files.indexOf(file), 1);
        }
      } else if (roll < 0.93) {
        const dir = pick(dirs.filter((d) => d !== ''));
        if (dir) {
          await rm(join(root, dir), { recursive: true, force: true });
          for (const list of [dirs, files]) {
            for (let i = list.length - 1; i >= 0; i--) {
              const entry = list[i] as string;
              if (entry === dir || entry.startsWith(`${dir}/`)) list.splice(i, 1);
            }
          }
        }
      } else {
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } catch {
      // Another writer moved or deleted the path first: that is churn too.
    }
    ops++;
    // About twenty operations a second per writer: a busy site, not a disk benchmark.
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return ops;
}

test(`churn for ${CHURN_MS / 1000} s on one node of three: all trees identical within 10 s after`, { timeout: CHURN_MS + 90_000 }, async () => {
  const a = cluster.node(0).dir;
  const seed = Number(process.env.CHURN_SEED ?? Date.now() % 100_000);
  const until = Date.now() + CHURN_MS;
  const ops = await Promise.all([1, 2, 3].map((id) => writer(a, id, until, random(seed + id))));
  process.stdout.write(`# churn seed ${seed}: ${ops.reduce((x, y) => x + y, 0)} operations\n`);
  const stopped = Date.now();
  process.stdout.write(`# writers stopped at ${new Date(stopped).toISOString()}\n`);
  // Node A no longer changes (only its daemon reads it): one snapshot of it. The peers are
  // hashed twice a second, not more, so the test's own hashing leaves csync2 the CPU.
  const reference = await snapshot(a);
  for (const index of [1, 2]) {
    const peer = cluster.node(index).dir;
    await waitFor(async () => diffSnapshots(reference, await snapshot(peer)).length === 0, `node ${index} to match node A`, Math.max(1000, 10_000 - (Date.now() - stopped)), 500).catch(
      async (error: Error) => {
        const diff = diffSnapshots(reference, await snapshot(peer));
        const tail = daemons[0]?.lines.filter((line) => !line.includes('DEBUG') && !line.includes('missed the new')).slice(-25).join('\n');
        throw new Error(`${error.message} (seed ${seed}); differences:\n${diff.join('\n')}\nnode A's log:\n${tail}`);
      },
    );
  }
  const settled = Date.now() - stopped;

  process.stdout.write(`# trees identical ${settled} ms after the writers stopped\n`);
  assert.ok(settled <= 10_000);
  assert.match(daemons[0]?.log ?? '', /LARGE BATCH: \d+\+? distinct paths reach num_batched_changes_threshold/, 'a burst went through the full-sync path');
});

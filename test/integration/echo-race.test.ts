import assert from 'node:assert/strict';
import { chmod, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { useDaemonCluster } from '../helpers/daemon-cluster.js';
import { gone, holds, waitFor } from '../helpers/wait.js';

// The multi-master echo race: a daemon on every node, and a change made on a
// node right after a peer's csync2 session delivered that file there. The
// node's check must not run in the middle of the session (it would send the
// older state back, over the new change). Each case polls every 2 ms, so the
// change lands as early after the delivery as a busy site's writer would.
const POLL_MS = 2;
const DEADLINE_MS = 10_000;

async function modeOf(path: string): Promise<number | undefined> {
  try {
    return (await stat(path)).mode & 0o777;
  } catch {
    return undefined;
  }
}

/**
 * The file on `to` is the one on `from`: the same bytes and the same mtime
 * second. A csync2 session applies the content first, then owner, mode and
 * mtime, each followed by a database update from what the file then is; a
 * change made before the last of them is overwritten or recorded as synced by
 * csync2's own session (daemon.c), whichever tool drives csync2.
 */
async function received(from: string, to: string, bytes: string): Promise<boolean> {
  if (!(await holds(to, bytes))) return false;
  try {
    const [a, b] = await Promise.all([stat(from), stat(to)]);
    return Math.floor(a.mtimeMs / 1000) === Math.floor(b.mtimeMs / 1000);
  } catch {
    return false;
  }
}

/** After the change has spread, it must stay: 3 s later every node still shows it (nothing came back). */
async function stays(check: () => Promise<boolean>, what: string): Promise<void> {
  await waitFor(check, what, DEADLINE_MS, 20);
  await new Promise((resolve) => setTimeout(resolve, 3000));
  assert.ok(await check(), `${what}, still 3 s later (an echo reverted it)`);
}

describe('multi-master echo race, a daemon on each of 3 nodes', () => {
  // --debug: the daemons log each peer session's start and end (the "receipt complete" signal below).
  // ECHO_LOG=FILE keeps every node's log for a closer look.
  const ctx = useDaemonCluster({ nodes: 3, daemon: () => ({ args: ['--debug'] }) });
  after(() => {
    if (process.env.ECHO_LOG) writeFileSync(process.env.ECHO_LOG, ctx.daemons.map((d) => `=== node ${d.index}\n${d.lines.join('\n')}`).join('\n'));
  });
  const dir = (index: number): string => ctx.cluster.node(index).dir;
  const sessions = (index: number): { started: number; done: number } => {
    const lines = ctx.daemons[index]?.lines ?? [];
    return {
      started: lines.filter((line) => /SERVER: session from .* \(PID/.test(line)).length,
      done: lines.filter((line) => /SERVER: session from .* (done|ended)/.test(line)).length,
    };
  };
  /**
   * Node `to` holds what `from` wrote, and the session that brought it has
   * ended: the change a test makes next comes after the receipt, not inside it.
   */
  const receivedAndSettled = async (from: number, to: number, name: string, bytes: string): Promise<boolean> => {
    if (!(await received(join(dir(from), name), join(dir(to), name), bytes))) return false;
    const now = sessions(to);
    return now.started === now.done;
  };

  // csync2 resolves two nodes' versions of one file by mtime in whole seconds ("auto
  // younger"): versions written within the same second on two nodes, each dirty for the
  // other, are a conflict neither side wins (csync2's update.c; shown with csync2 alone in
  // test/integration/same-second-conflict.test.ts). So each node writes as soon as it holds
  // the previous version and the clock has reached the next whole second.
  test('a file handed round three nodes, each writing the next version as soon as it holds the previous one', async () => {
    const rounds = 9;
    let version = `v0 written on node 0\n`;
    let writtenAt = Date.now();
    await writeFile(join(dir(0), 'handed.txt'), version);
    for (let round = 1; round <= rounds; round++) {
      const next = round % 3;
      const previous = (round - 1) % 3;
      await waitFor(() => receivedAndSettled(previous, next, 'handed.txt', version), `version ${round - 1} on node ${next}`, DEADLINE_MS, POLL_MS);
      const nextSecond = (Math.floor(writtenAt / 1000) + 1) * 1000;
      if (Date.now() < nextSecond) await new Promise((resolve) => setTimeout(resolve, nextSecond - Date.now()));
      version = `v${round} written on node ${next} ${'x'.repeat(round)}\n`;
      writtenAt = Date.now();
      await writeFile(join(dir(next), 'handed.txt'), version);
    }
    const final = version;
    await stays(async () => (await Promise.all([0, 1, 2].map((i) => holds(join(dir(i), 'handed.txt'), final)))).every(Boolean), 'the last version on every node');
  });

  test('a chmod right after receipt is kept, on the node that made it too', async () => {
    await writeFile(join(dir(0), 'chmod.txt'), 'mode test\n', { mode: 0o644 });
    await chmod(join(dir(0), 'chmod.txt'), 0o644);
    await waitFor(() => receivedAndSettled(0, 1, 'chmod.txt', 'mode test\n'), 'chmod.txt on node 1', DEADLINE_MS, POLL_MS);
    await chmod(join(dir(1), 'chmod.txt'), 0o600);
    await stays(async () => (await Promise.all([0, 1, 2].map((i) => modeOf(join(dir(i), 'chmod.txt'))))).every((mode) => mode === 0o600), 'mode 0600 on every node');
  });

  test('a delete right after receipt is kept: the file does not come back', async () => {
    await writeFile(join(dir(0), 'delete.txt'), 'short-lived\n');
    await waitFor(() => receivedAndSettled(0, 2, 'delete.txt', 'short-lived\n'), 'delete.txt on node 2', DEADLINE_MS, POLL_MS);
    await rm(join(dir(2), 'delete.txt'));
    await stays(async () => (await Promise.all([0, 1, 2].map((i) => gone(join(dir(i), 'delete.txt'))))).every(Boolean), 'delete.txt gone from every node');
  });
});

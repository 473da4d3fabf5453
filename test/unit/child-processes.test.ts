import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ChildProcesses } from '../../src/process/child-processes.js';
import { alive } from '../helpers/processes.js';
import { waitFor } from '../helpers/wait.js';

// Small fake children (sh scripts given as argument arrays): a child that ignores
// SIGTERM, and one that forks a helper, cases no real tool shows on demand.

/** Starts `sh -c script`, which prints its helper's PID first; resolves with it. */
async function helperPid(children: ChildProcesses, script: string, group: boolean): Promise<{ child: ReturnType<ChildProcesses['start']>; helper: number }> {
  const child = children.start('sh', ['-c', script], { stdin: 'ignore', stdout: 'pipe', stderr: 'ignore', reject: false, buffer: false }, { group });
  child.stdout.setEncoding('utf8');
  const helper = await new Promise<number>((resolve) => child.stdout.once('data', (chunk: string) => resolve(Number(chunk.trim()))));
  return { child, helper };
}

test('stopAll ends a child that ignores SIGTERM with SIGKILL once the grace is over', async () => {
  const children = new ChildProcesses();
  // `trap '' TERM` is inherited by the exec'd sleep: SIGTERM does nothing to it.
  const child = children.start('sh', ['-c', "trap '' TERM; echo ready; exec sleep 60"], { stdin: 'ignore', stdout: 'pipe', reject: false, buffer: false });
  await new Promise((resolve) => child.stdout.once('data', resolve));
  const started = Date.now();
  await children.stopAll(300);
  const result = await child;
  assert.equal(result.signal, 'SIGKILL');
  assert.ok(Date.now() - started < 2000, `ended after ${Date.now() - started} ms`);
  assert.equal(children.count, 0);
});

test('a helper forked by a child started as a group ends with it on stopAll', async () => {
  const children = new ChildProcesses();
  const { child, helper } = await helperPid(children, 'sleep 60 >/dev/null & echo $!; wait', true);
  await children.stopAll(1000);
  const started = Date.now();
  await child;
  assert.ok(Date.now() - started < 2000, `the result came after ${Date.now() - started} ms`);
  await waitFor(() => !alive(helper), `helper ${helper} to end`, 2000);
});

test('without a group, the same helper outlives its parent (why rsync is started as a group)', async () => {
  const children = new ChildProcesses();
  const { child, helper } = await helperPid(children, 'sleep 60 >/dev/null & echo $!; wait', false);
  try {
    await children.stopAll(1000);
    await child;
    assert.equal(alive(helper), true, 'the orphaned helper still runs');
  } finally {
    process.kill(helper, 'SIGKILL');
  }
});

test('a helper left behind by a group child that ended on its own is ended too', async () => {
  const children = new ChildProcesses();
  // The child exits at once; its helper would run on for a minute, holding the child's stdout (so the result waits for it).
  const { child, helper } = await helperPid(children, 'sleep 60 & echo $!', true);
  const started = Date.now();
  await child;
  assert.ok(Date.now() - started < 2000, `the result came after ${Date.now() - started} ms`);
  await waitFor(() => !alive(helper), `helper ${helper} to end`, 2000);
});

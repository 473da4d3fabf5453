import assert from 'node:assert/strict';
import { test } from 'node:test';
import { execa } from 'execa';
import { exitOf, spawnFailure } from '../../src/process/exit-of.js';

test('a program that is not installed is a spawn failure that names the cause', async () => {
  const result = await execa('inotify-csync-test-no-such-program', [], { reject: false });
  const failure = spawnFailure(result);
  assert.match(failure ?? '', /ENOENT/);
  assert.deepEqual(exitOf(result, ''), { exitCode: undefined, stderr: '', timedOut: false, spawnError: failure });
});

test('a program that ran and exited non-zero is no spawn failure', async () => {
  const result = await execa('sh', ['-c', 'echo oops >&2; exit 3'], { reject: false });
  assert.deepEqual(exitOf(result, String(result.stderr)), { exitCode: 3, stderr: 'oops', timedOut: false, spawnError: undefined });
});

test('a program ended by its timeout or by a signal is no spawn failure', async () => {
  const timedOut = await execa('sleep', ['5'], { reject: false, timeout: 50 });
  assert.equal(spawnFailure(timedOut), undefined);
  assert.equal(exitOf(timedOut, '').timedOut, true);
  const killed = await execa('sh', ['-c', 'kill -TERM $$'], { reject: false });
  assert.equal(killed.exitCode, undefined);
  assert.equal(spawnFailure(killed), undefined);
});

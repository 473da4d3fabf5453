import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { recoverDeadQueue } from '../../src/daemon/crash-recovery.js';
import { encodeRecord } from '../../src/queue/records.js';
import type { Csync2Outcome } from '../../src/sync/csync2-outcome.js';
import { recordingLogger } from '../helpers/recording-logger.js';

// The decisions of RECOVERY over a real queue file, with csync2 -m's answers
// given (the integration test crash-recovery.test.ts runs the real csync2).

function deadQueue(t: { after: (fn: () => void) => void }, paths: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'crash-recovery-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'queue');
  writeFileSync(file, paths.map(encodeRecord).join(''));
  return file;
}

const answers = (...outcomes: Csync2Outcome[]) => {
  const calls: string[][] = [];
  return {
    calls,
    markDirty: async (paths: string[]) => {
      calls.push(paths);
      const outcome = outcomes.shift() ?? { kind: 'ok' };
      return { outcome, failedPaths: outcome.kind === 'ok' ? [] : paths };
    },
  };
};

test('a locked database is tried again; then every path is marked and the queue is not kept', async (t) => {
  const file = deadQueue(t, ['/a', '/b']);
  const { log, lines } = recordingLogger();
  const csync2 = answers({ kind: 'locked', detail: 'Found /var/lib/csync2/csync2.lock' });
  const result = await recoverDeadQueue({ queueFile: file, diedPid: 7, chunkPaths: 100, markDirty: csync2.markDirty, csync2Args: [], log, lockedRetryMs: 1, exists: () => true });
  assert.deepEqual(csync2.calls, [['/a', '/b'], ['/a', '/b']]);
  assert.deepEqual(result, { marked: 2, failed: 0 });
  assert.ok(existsSync(file));
  assert.deepEqual(lines, ['info RECOVERY: the previous daemon (PID 7) did not stop cleanly; sending its 2 last queued paths again']);
});

test('paths that no longer exist are not given to csync2 -m', async (t) => {
  const file = deadQueue(t, ['/gone', '/here']);
  const csync2 = answers();
  const result = await recoverDeadQueue({ queueFile: file, diedPid: 7, chunkPaths: 100, markDirty: csync2.markDirty, csync2Args: [], log: recordingLogger().log, exists: (path) => path === '/here' });
  assert.deepEqual(csync2.calls, [['/here']]);
  assert.equal(result.marked, 1);
});

test('a refusal is warned about with csync2\'s words and the command that re-marks the kept queue', async (t) => {
  const file = deadQueue(t, ['/a', '/b c']);
  const { log, warnings } = recordingLogger();
  const csync2 = answers({ kind: 'failed', detail: 'Database backend error' });
  const result = await recoverDeadQueue({ queueFile: file, diedPid: 7, chunkPaths: 100, markDirty: csync2.markDirty, csync2Args: ['-N', 'node a', '-C', 'web'], log, exists: () => true });
  assert.equal(result.failed, 2);
  assert.ok(result.keptAs?.startsWith(`${file}.unmarked-`));
  assert.ok(result.keptAs && existsSync(result.keptAs) && !existsSync(file), 'the dead queue is kept under the new name');
  assert.equal(warnings().length, 1);
  assert.match(warnings()[0] ?? '', /csync2 -m failed for 2 of the 2 paths .* \(failed: Database backend error\); the start-up full sync runs instead/);
  assert.ok(warnings()[0]?.endsWith(`run: xargs -0 -r -a ${result.keptAs} csync2 -N 'node a' -C web -m -- && csync2 -N 'node a' -C web -u`), warnings()[0]);
});

test('a queue that cannot be read is warned about, not skipped silently', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'crash-recovery-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, 'queue'));
  const { log, warnings } = recordingLogger();
  const result = await recoverDeadQueue({ queueFile: join(dir, 'queue'), diedPid: 7, chunkPaths: 100, markDirty: answers().markDirty, csync2Args: [], log });
  assert.deepEqual(result, { marked: 0, failed: 0 });
  assert.match(warnings()[0] ?? '', /RECOVERY: cannot read the queue .* the previous daemon \(PID 7\) left \(EISDIR\): its paths are not marked again/);
  assert.deepEqual(readdirSync(dir), ['queue']);
});

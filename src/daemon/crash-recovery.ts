import { existsSync, renameSync } from 'node:fs';
import type { Logger } from '../log/logger.js';
import { nextTurn, scanQueuedPaths } from '../queue/read-batch.js';
import type { Csync2Outcome } from '../sync/csync2-outcome.js';

export interface CrashRecoveryOptions {
  /** The queue file the dead daemon left (read before this daemon empties it). */
  queueFile: string;
  diedPid: number;
  /** Paths re-marked per chunk (num_lines_until_reset): a queue naming more is re-marked in several. */
  chunkPaths: number;
  /** `csync2 -m -- PATHS...` with the daemon's csync2 options. */
  markDirty: (paths: string[]) => Promise<{ outcome: Csync2Outcome; failedPaths: string[] }>;
  /** The daemon's csync2 options, for the command the warning gives. */
  csync2Args: readonly string[];
  log: Logger;
  /** Pause before retrying a chunk csync2 found locked, ms. @default 1000 */
  lockedRetryMs?: number;
  exists?: (path: string) => boolean;
}

export interface CrashRecoveryResult {
  /** Paths handed to csync2 -m (after dropping those that no longer exist). */
  marked: number;
  /** Paths csync2 -m refused. */
  failed: number;
  /** Where the dead queue was kept because some of its paths could not be re-marked. */
  keptAs?: string;
}

/** Paths checked for existence between two turns of the event loop. */
const STATS_PER_TURN = 2000;

function describeOutcome(outcome: Csync2Outcome): string {
  return 'detail' in outcome && outcome.detail ? `${outcome.kind}: ${outcome.detail}` : outcome.kind;
}

/** Quotes an argument for the one shell line the warning suggests. */
function shellWord(word: string): string {
  return /^[\w@%+=:,./-]+$/.test(word) ? word : `'${word.replace(/'/g, "'\\''")}'`;
}

/**
 * RECOVERY, before the start-up full sync: a daemon killed mid-batch may have
 * had csync2 clear a dirty entry the peer never got (`-cr /` cannot see that),
 * so every path its queue names is marked dirty again with `csync2 -m`, in
 * chunks of `chunkPaths` however large the queue is. Paths csync2 -m refuses
 * are never dropped silently: the dead queue is kept beside the new one and a
 * warning names the command that re-marks them.
 */
export async function recoverDeadQueue(options: CrashRecoveryOptions): Promise<CrashRecoveryResult> {
  const { queueFile, diedPid, chunkPaths, markDirty, log } = options;
  const exists = options.exists ?? existsSync;
  const retryMs = options.lockedRetryMs ?? 1000;
  let marked = 0;
  let failed = 0;
  let firstFailure: Csync2Outcome | undefined;
  let chunks = 0;
  const scanning = scanQueuedPaths(queueFile, chunkPaths, async (paths) => {
    if (chunks === 1) {
      log.warn(
        `RECOVERY: the queue of the previous daemon (PID ${diedPid}) names more than num_lines_until_reset (${chunkPaths}) paths: re-marking them all with csync2 -m, ${chunkPaths} at a time, before the start-up full sync`,
      );
    }
    chunks++;
    const existing: string[] = [];
    for (const [i, path] of paths.entries()) {
      // A stat each: a chunk of 200,000 paths would hold the event loop for a second.
      if (i > 0 && i % STATS_PER_TURN === 0) await nextTurn();
      if (exists(path)) existing.push(path);
    }
    marked += existing.length;
    if (existing.length === 0) return;
    let result = await markDirty(existing);
    // A locked database (csync2.lock, a peer's session) passes: two more tries.
    for (let attempt = 1; attempt <= 2 && result.outcome.kind === 'locked'; attempt++) {
      await new Promise((resolve) => setTimeout(resolve, retryMs * attempt));
      result = await markDirty(result.failedPaths);
    }
    if (result.failedPaths.length > 0) {
      failed += result.failedPaths.length;
      firstFailure ??= result.outcome;
    }
  });
  let scan: Awaited<typeof scanning>;
  try {
    scan = await scanning;
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    log.warn(`RECOVERY: cannot read the queue ${queueFile} the previous daemon (PID ${diedPid}) left (${code}): its paths are not marked again; the start-up full sync sends what changed on disk`);
    return { marked, failed };
  }
  if (scan.paths > 0) {
    log.info(`RECOVERY: the previous daemon (PID ${diedPid}) did not stop cleanly; sending its ${scan.paths} last queued paths again${scan.chunks > 1 ? ` (${scan.records} records, re-marked in ${scan.chunks} chunks)` : ''}`);
  }
  if (failed === 0 || !firstFailure) return { marked, failed };
  const keptAs = `${queueFile}.unmarked-${Date.now()}`;
  try {
    renameSync(queueFile, keptAs);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    log.warn(
      `RECOVERY: csync2 -m failed for ${failed} of the ${marked} paths the previous daemon was sending (${describeOutcome(firstFailure)}), and its queue could not be kept (${code}); the start-up full sync runs instead and sends what changed on disk, but a file the killed csync2 -u had marked clean reaches the peers only when it changes again`,
    );
    return { marked, failed };
  }
  const csync2 = ['csync2', ...options.csync2Args].map(shellWord).join(' ');
  log.warn(
    `RECOVERY: csync2 -m failed for ${failed} of the ${marked} paths the previous daemon was sending (${describeOutcome(firstFailure)}); the start-up full sync runs instead and sends what changed on disk, but a file the killed csync2 -u had marked clean reaches the peers only when it changes again: the dead queue is kept as ${keptAs}; once csync2 works, run: xargs -0 -r -a ${shellWord(keptAs)} ${csync2} -m -- && ${csync2} -u`,
  );
  return { marked, failed, keptAs };
}

import type { Result } from 'execa';

/** How a child ended, as the exit-code tables (csync2-outcome.ts, rsync-outcome.ts) look it up. */
export interface ProcessExit {
  exitCode: number | undefined;
  stderr: string;
  timedOut: boolean;
  /** e.g. ENOENT when the program is not installed. */
  spawnError?: string;
}

/** The fields of an execa result (run with `reject: false`) that tell how the child ended. */
export type EndedChild = Pick<Result, 'failed' | 'exitCode' | 'timedOut' | 'isTerminated' | 'shortMessage' | 'originalMessage'>;

/** Why a child never ran (e.g. `spawn rsync ENOENT`): it failed with no exit code, and neither a timeout nor a signal ended it. */
export function spawnFailure(result: EndedChild): string | undefined {
  return result.failed && result.exitCode === undefined && !result.timedOut && !result.isTerminated
    ? (result.originalMessage ?? result.shortMessage)
    : undefined;
}

/** An execa result as the exit-code tables take it; `stderr` is the text they classify. */
export function exitOf(result: EndedChild, stderr: string): ProcessExit {
  return { exitCode: result.exitCode, stderr, timedOut: result.timedOut, spawnError: spawnFailure(result) };
}

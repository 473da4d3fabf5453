import type { ProcessExit } from '../process/exit-of.js';

/** How a finished rsync run went, looked up from its exit code like lsyncd's `default.rsyncExitCodes`. */
export type RsyncOutcome =
  /** 0: done. */
  | { kind: 'ok' }
  /** 24: some listed files vanished before they were sent; they are gone here and csync2 deals with them. */
  | { kind: 'vanished'; detail: string }
  /** 23 (and 25): some files were not transferred; csync2 sends what is left. */
  | { kind: 'partial'; detail: string }
  /** 5, 10, 12, 30, 35, 255: the peer or the link to it is the problem. */
  | { kind: 'unreachable'; detail: string }
  /** Ended after hanging past its timeout. */
  | { kind: 'timeout'; detail: string }
  /** 1, 2, 3, 4, 11, 13, 14, 20, 21, 22 and unknown codes: a usage, protocol or local error. */
  | { kind: 'failed'; detail: string };

export type RsyncExit = ProcessExit;

/** rsync(1) EXIT VALUES, for messages an admin can look up. */
export const RSYNC_EXIT_MEANING: Record<number, string> = {
  1: 'syntax or usage error',
  2: 'protocol incompatibility',
  3: 'errors selecting input/output files, dirs',
  4: 'requested action not supported',
  5: 'error starting client-server protocol',
  6: 'daemon unable to append to log-file',
  10: 'error in socket I/O',
  11: 'error in file I/O',
  12: 'error in rsync protocol data stream',
  13: 'errors with program diagnostics',
  14: 'error in IPC code',
  20: 'received SIGUSR1 or SIGINT',
  21: 'some error returned by waitpid()',
  22: 'error allocating core memory buffers',
  23: 'partial transfer due to error',
  24: 'partial transfer due to vanished source files',
  25: 'the --max-delete limit stopped deletions',
  30: 'timeout in data send/receive',
  35: 'timeout waiting for daemon connection',
  255: 'the remote shell failed (ssh could not connect or authenticate)',
};

/** The most telling line of rsync's error output: a line naming the cause rather than the "rsync error:" trailer. */
function detailOf(exitCode: number, stderr: string): string {
  const lines = stderr.split('\n').map((line) => line.trim()).filter(Boolean);
  const cause = lines.find((line) => /^(rsync: |@ERROR|ssh: |rsync error: error starting)/.test(line) && !/\(code \d+\) at /.test(line))
    ?? lines.find((line) => !/^(file has vanished|WARNING: parent dir is absent|cannot delete non-empty directory)/.test(line))
    ?? lines.at(-1);
  const meaning = RSYNC_EXIT_MEANING[exitCode] ?? 'unknown exit code';
  return `rsync exit ${exitCode} (${meaning})${cause ? `: ${cause}` : ''}`;
}

export function classifyRsyncExit(result: RsyncExit): RsyncOutcome {
  if (result.spawnError) return { kind: 'failed', detail: result.spawnError };
  if (result.timedOut) return { kind: 'timeout', detail: 'timed out and was ended' };
  const code = result.exitCode;
  if (code === 0) return { kind: 'ok' };
  if (code === undefined) return { kind: 'failed', detail: 'rsync ended without an exit code (killed by a signal)' };
  const detail = detailOf(code, result.stderr);
  switch (code) {
    case 24:
      return { kind: 'vanished', detail };
    case 23:
    case 25:
      return { kind: 'partial', detail };
    case 5:
    case 10:
    case 12:
    case 30:
    case 35:
    case 255:
      return { kind: 'unreachable', detail };
    default:
      return { kind: 'failed', detail };
  }
}

/** True when the batch counts as delivered by rsync. */
export function rsyncDelivered(outcome: RsyncOutcome): boolean {
  return outcome.kind === 'ok' || outcome.kind === 'vanished';
}

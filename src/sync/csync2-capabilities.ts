import { EnvironmentError } from '../errors.js';
import type { ChildProcesses } from '../process/child-processes.js';

/** What the installed csync2 can do, read from its usage text. */
export interface Csync2Capabilities {
  /** `-b` exists only in a csync2 fork; stock 2.0 answers "invalid option -- 'b'". */
  supportsBatchFlag: boolean;
  /** LINBIT's csync2 2.x prints "Marking file as dirty: NAME" at -v for each file a check marks. */
  reportsDirtyMarks: boolean;
}

/** Parses csync2's usage text (what it prints for an unknown option). */
export function parseCapabilities(usage: string): Csync2Capabilities {
  return {
    supportsBatchFlag: /^\s+-b\s/m.test(usage),
    reportsDirtyMarks: /LINBIT/.test(usage) && /^Version: 2\.\d+/m.test(usage),
  };
}

export interface ProbeOptions {
  children: ChildProcesses;
  /** A csync2 that does not answer by then is ended, and start-up fails. @default 10000 */
  timeoutMs?: number;
}

/** Runs `csync2 --help` (an unknown option: csync2 prints its usage) and reads it; a tracked child with a deadline. */
export async function probeCsync2(options: ProbeOptions): Promise<Csync2Capabilities> {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const result = await options.children.start('csync2', ['--help'], {
    reject: false,
    stdin: 'ignore',
    all: true,
    timeout: timeoutMs,
    forceKillAfterDelay: 2000,
  });
  if (result.timedOut) {
    throw new EnvironmentError(`csync2 did not answer 'csync2 --help' within ${timeoutMs / 1000} s and was ended: check the csync2 binary on PATH (run 'csync2 --help' by hand; a wrapper script or a hung NFS mount can do this)`);
  }
  return parseCapabilities(String(result.all ?? ''));
}

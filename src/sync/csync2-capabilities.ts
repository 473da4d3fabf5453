import { execa } from 'execa';

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

/** Runs `csync2 --help` (an unknown option: csync2 prints its usage) and reads it. */
export async function probeCsync2(): Promise<Csync2Capabilities> {
  const result = await execa('csync2', ['--help'], { reject: false, stdin: 'ignore', all: true });
  return parseCapabilities(String(result.all ?? ''));
}

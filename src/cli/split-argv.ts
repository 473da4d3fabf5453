import type { Csync2Options } from '../daemon/daemon-options.js';
import { UsageError } from '../errors.js';

/** csync2 2.x options that take a value (getopt string "...C:D:N:p:G:P:s:W:..."). */
const CSYNC2_VALUE_OPTIONS = new Set(['C', 'D', 'N', 'p', 'G', 'P', 's', 'W']);

/** csync2 modes (-x, -c, -u, ...): the daemon runs these itself, so the user may not pass them. */
const CSYNC2_MODE_LETTERS = new Set(['c', 'u', 'o', 'i', 'f', 'x', 'H', 'L', 'M', 'S', 'T', 'R', 'k']);

/** A short option of this program's own, e.g. `-m` for `--mode <mode>`. */
export interface ShortFlag {
  long: string;
  value: boolean;
}

/** This program's own options, as its cac declarations give them. */
export interface OwnFlags {
  /** Long names (without --) that take a value. */
  values: ReadonlySet<string>;
  /** The short letters the program claims: every other letter is csync2's. */
  shorts: ReadonlyMap<string, ShortFlag>;
}

export interface SplitArgv {
  /** Tokens for cac: this program's own options and a subcommand. */
  own: string[];
  csync2: Csync2Options;
}

/**
 * Separates this program's own options (long ones, and its short letters such
 * as `-m`/`-h`) from csync2's short options, which are passed through
 * unchanged, as the bash script does with "$@". A csync2 option's value is
 * taken from `-Nhost` or the next token.
 */
export function splitArgv(argv: readonly string[], ownFlags: OwnFlags): SplitArgv {
  const own: string[] = [];
  const csync2: Csync2Options = { passThrough: [] };
  for (let index = 0; index < argv.length; index++) {
    const token = argv[index] ?? '';
    if (token.startsWith('--')) {
      const name = token.slice(2).split('=')[0] ?? '';
      // Joined as --name=value so that a value such as -1 is not read as an option.
      if (!token.includes('=') && ownFlags.values.has(name) && index + 1 < argv.length) own.push(`${token}=${argv[++index] ?? ''}`);
      else own.push(token);
      continue;
    }
    const short = token.startsWith('-') ? ownFlags.shorts.get(token[1] ?? '') : undefined;
    if (short && token.length === 2) {
      own.push(short.value && index + 1 < argv.length ? `--${short.long}=${argv[++index] ?? ''}` : token);
      continue;
    }
    if (short?.value) {
      own.push(`--${short.long}=${token.slice(2)}`);
      continue;
    }
    if (!token.startsWith('-') || token === '-') {
      if (own.length === 0 && csync2.passThrough.length === 0) {
        own.push(token);
        continue;
      }
      throw new UsageError(`unexpected argument '${token}': csync2 options start with '-' (e.g. -N host1), see --help`);
    }
    // A cluster of csync2 short options, e.g. -v, -vv, -N host, -Nhost, -B.
    csync2.passThrough.push(token);
    for (let at = 1; at < token.length; at++) {
      const letter = token[at] ?? '';
      if (CSYNC2_MODE_LETTERS.has(letter)) {
        throw new UsageError(
          `csync2 option -${letter} selects a csync2 mode, which the daemon chooses itself: pass only options such as -N host -D dir -C name -G groups -p port -v -B`,
        );
      }
      if (!CSYNC2_VALUE_OPTIONS.has(letter)) continue;
      let value = token.slice(at + 1);
      if (value === '') {
        if (index + 1 >= argv.length) throw new UsageError(`csync2 option -${letter} needs a value (e.g. -${letter} ${letter === 'N' ? 'host1' : 'VALUE'})`);
        value = argv[++index] ?? '';
        csync2.passThrough.push(value);
      }
      recordCsync2Value(csync2, letter, value);
      break;
    }
  }
  return { own, csync2 };
}

function recordCsync2Value(csync2: Csync2Options, letter: string, value: string): void {
  if (letter === 'N') csync2.host = value;
  else if (letter === 'D') csync2.database = value;
  else if (letter === 'C') csync2.configName = value;
  else if (letter === 'G') csync2.groups = value.split(',').filter((g) => g !== '');
  else if (letter === 'p') csync2.port = value;
}

import { createConsola } from 'consola/core';
import type { Logger } from '../../src/log/logger.js';

export interface RecordingLogger {
  log: Logger;
  /** Every line logged, debug included, as `LEVEL message` (e.g. `warn INOTIFY: ...`). */
  lines: string[];
  /** The messages logged at warn level, without the level. */
  warnings: () => string[];
}

/** A logger that keeps what it is given, for tests that assert what an admin would read. */
export function recordingLogger(): RecordingLogger {
  const lines: string[] = [];
  const log = createConsola({
    level: 4,
    throttle: 0,
    reporters: [{ log: (entry) => lines.push(`${entry.type} ${entry.args.map(String).join(' ')}`) }],
  });
  const warnings = (): string[] => lines.filter((line) => line.startsWith('warn ')).map((line) => line.slice('warn '.length));
  return { log, lines, warnings };
}

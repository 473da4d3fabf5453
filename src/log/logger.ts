import { createConsola, type ConsolaInstance, type ConsolaReporter, type LogObject } from 'consola/core';
import { formatWithOptions } from 'node:util';

export type Logger = ConsolaInstance;
export type LogFormat = 'text' | 'json';

export interface LoggerOptions {
  /** Log debug lines too. */
  debug: boolean;
  /** `text`: one timestamped line per message; `json`: one JSON object per line for log shippers. */
  format: LogFormat;
  /** Where lines go. @default process.stdout */
  stream?: NodeJS.WritableStream;
}

const LEVEL_NAMES: Record<number, string> = { 0: 'ERROR', 1: 'WARN', 2: 'LOG', 3: 'INFO', 4: 'DEBUG', 5: 'TRACE' };

function messageOf(logObj: LogObject): string {
  return formatWithOptions({ colors: false, breakLength: Infinity }, ...logObj.args);
}

/** Plain lines without colour codes: journald and log files read them as they are. */
function textReporter(stream: NodeJS.WritableStream): ConsolaReporter {
  return {
    log(logObj) {
      const level = LEVEL_NAMES[logObj.level] ?? 'LOG';
      const tag = logObj.tag ? ` [${logObj.tag}]` : '';
      stream.write(`${logObj.date.toISOString()} ${level.padEnd(5)}${tag} ${messageOf(logObj)}\n`);
    },
  };
}

function jsonReporter(stream: NodeJS.WritableStream): ConsolaReporter {
  return {
    log(logObj) {
      const line = {
        time: logObj.date.toISOString(),
        level: (LEVEL_NAMES[logObj.level] ?? 'LOG').toLowerCase(),
        tag: logObj.tag || undefined,
        msg: messageOf(logObj),
      };
      stream.write(`${JSON.stringify(line)}\n`);
    },
  };
}

/** The daemon's root logger; modules get `logger.withTag(name)` passed in. */
export function createLogger(options: LoggerOptions): Logger {
  const stream = options.stream ?? process.stdout;
  return createConsola({
    level: options.debug ? 4 : 3,
    throttle: 0,
    reporters: [options.format === 'json' ? jsonReporter(stream) : textReporter(stream)],
  });
}

/** A logger that prints nothing: for pure code under test. */
export function silentLogger(): Logger {
  return createConsola({ level: -999, reporters: [] });
}

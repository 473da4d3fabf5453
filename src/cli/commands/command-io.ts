import { UsageError } from '../../errors.js';

/** Where a subcommand writes and what it reads: the process's own streams, or a test's. */
export interface CommandIo {
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
}

export const processIo = (): CommandIo => ({ stdout: process.stdout, stderr: process.stderr, env: process.env });

const dashed = (key: string): string => key.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);

/** cac accepts any --option: refuse the ones this subcommand does not know, and value options given without a value. */
export function rejectUnknownOptions(command: string, options: Record<string, unknown>, known: string[], needValue: string[]): void {
  for (const [key, value] of Object.entries(options)) {
    if (key === '--' || key === 'help' || key === 'h') continue;
    if (!known.includes(key)) throw new UsageError(`${command}: unknown option --${dashed(key)}: see ${command} --help`);
    if (needValue.includes(key) && (value === true || value === '')) throw new UsageError(`${command}: --${dashed(key)} needs a value: see ${command} --help`);
  }
}

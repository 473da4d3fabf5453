import { execa } from 'execa';
import { CLI_ENTRY } from '../../src/cluster/daemon-process.js';

/** Runs the built CLI once, as a user would, and returns its exit code and output. */
export async function runCli(args: string[], options: { env?: Record<string, string>; timeoutMs?: number; cwd?: string } = {}) {
  const result = await execa(process.execPath, [CLI_ENTRY, ...args], {
    env: options.env,
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs ?? 20_000,
    cwd: options.cwd,
  });
  return { exitCode: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

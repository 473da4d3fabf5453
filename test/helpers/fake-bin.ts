import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Puts test/fixtures/bin/FIXTURE first on PATH under the name `command` while
 * `work` runs (execa's test/fixtures way): for what a real binary cannot show
 * on demand, a crash, an exit code, a hang.
 */
export async function withFakeBinary<T>(fixture: string, command: string, work: () => Promise<T>): Promise<T> {
  const bin = mkdtempSync(join(tmpdir(), 'inotify-csync-fakebin-'));
  symlinkSync(resolve(`test/fixtures/bin/${fixture}`), join(bin, command));
  const savedPath = process.env.PATH;
  process.env.PATH = `${bin}:${savedPath ?? ''}`;
  try {
    return await work();
  } finally {
    process.env.PATH = savedPath;
    rmSync(bin, { recursive: true, force: true });
  }
}

import { readFile, readdir, lstat, readlink } from 'node:fs/promises';
import { join } from 'node:path';

let explainTimeout: (() => string) | undefined;

/**
 * While set, a waitFor that times out adds what `explain` returns to its error
 * (the daemons' last log lines): a CI failure then shows what the daemons did.
 */
export function explainTimeouts(explain: (() => string) | undefined): void {
  explainTimeout = explain;
}

/** Each daemon's last `count` log lines, under its node's index, for a failure message. */
export function logTails(daemons: ReadonlyArray<{ index: number; lines: string[] }>, count = 12): string {
  return daemons.map((daemon) => `node ${daemon.index}'s last log lines:\n${daemon.lines.slice(-count).join('\n')}`).join('\n');
}

/** Polls `check` until it returns a truthy value or the deadline passes (then fails with `what`). */
export async function waitFor<T>(check: () => T | Promise<T>, what: string, timeoutMs = 2000, everyMs = 10): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline) {
      const explained = explainTimeout ? `\n${explainTimeout()}` : '';
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? ` (last error: ${String(last)})` : ''}${explained}`);
    }
    await new Promise((resolve) => setTimeout(resolve, everyMs));
  }
}

/** True when `file` holds exactly `bytes`. */
export async function holds(file: string, bytes: Buffer | string): Promise<boolean> {
  try {
    return (await readFile(file)).equals(Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes));
  } catch {
    return false;
  }
}

export async function gone(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return false;
  } catch {
    return true;
  }
}

/** Every entry below `root` with its type, mode and content hash: what `diff -r` plus modes would compare. */
export async function snapshot(root: string): Promise<Map<string, string>> {
  const { createHash } = await import('node:crypto');
  const result = new Map<string, string>();
  async function walk(dir: string, rel: string): Promise<void> {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const relPath = rel ? `${rel}/${entry.name}` : entry.name;
      const stat = await lstat(path);
      const mode = (stat.mode & 0o7777).toString(8);
      if (stat.isDirectory()) {
        result.set(relPath, `dir ${mode}`);
        await walk(path, relPath);
      } else if (stat.isSymbolicLink()) {
        result.set(relPath, `link ${await readlink(path)}`);
      } else {
        const hash = createHash('sha1').update(await readFile(path)).digest('hex');
        result.set(relPath, `file ${mode} ${hash}`);
      }
    }
  }
  await walk(root, '');
  return result;
}

/** Lists differences between two snapshots, for a readable failure. */
export function diffSnapshots(a: Map<string, string>, b: Map<string, string>, limit = 20): string[] {
  const out: string[] = [];
  for (const [path, value] of a) if (b.get(path) !== value) out.push(`${path}: ${value} vs ${b.get(path) ?? 'missing'}`);
  for (const path of b.keys()) if (!a.has(path)) out.push(`${path}: missing vs ${b.get(path)}`);
  return out.slice(0, limit);
}

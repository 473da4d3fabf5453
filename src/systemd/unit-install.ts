import { lstatSync, readFileSync, readlinkSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { EnvironmentError } from '../errors.js';

/** What installUnitFile did with the target path. */
export interface UnitWrite {
  action: 'wrote' | 'replaced' | 'unchanged';
  /** Where the previous file (or symbolic link) was kept, when one was replaced. */
  backup?: string;
}

/** `20261207T231124Z`: a backup name that sorts by time and holds no `:` (systemd unit names do not mind, shells and scp do). */
function stamp(now: Date): string {
  return now.toISOString().replace(/[-:]/g, '').replace(/\.\d+Z$/, 'Z');
}

/**
 * Writes a unit file without losing what is there: a new file is created
 * exclusively (never through a symbolic link); the same content is left alone;
 * a different file, or a symbolic link (systemctl mask or link makes those),
 * is refused unless `force`, and then kept as `TARGET.bak-TIMESTAMP` (the link
 * itself, not what it points to) before the new file is renamed into place.
 * `dryRun` only checks, so that several units are written all or none.
 */
export function installUnitFile(target: string, text: string, options: { force: boolean; now?: Date; dryRun?: boolean }): UnitWrite {
  let existing: ReturnType<typeof lstatSync> | undefined;
  try {
    existing = lstatSync(target);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  if (existing === undefined) {
    if (options.dryRun) return { action: 'wrote' };
    // O_CREAT|O_EXCL: fails on anything that appeared meanwhile, a dangling link included.
    writeFileSync(target, text, { mode: 0o644, flag: 'wx' });
    return { action: 'wrote' };
  }
  const link = existing.isSymbolicLink();
  if (!link && existing.isFile() && readFileSync(target, 'utf8') === text) return { action: 'unchanged' };
  if (!options.force) {
    const what = link ? `is a symbolic link to ${readlinkSync(target)} (systemctl mask or link made it?), not followed` : existing.isFile() ? 'exists with other content' : 'exists and is not a regular file';
    throw new EnvironmentError(`${target} ${what}: left as it is; run install-systemd again with --force to replace it (the old one is kept as ${target}.bak-TIMESTAMP)`);
  }
  if (!link && !existing.isFile()) throw new EnvironmentError(`${target} exists and is not a regular file: left as it is; move it away first`);
  const backup = `${target}.bak-${stamp(options.now ?? new Date())}`;
  if (options.dryRun) return { action: 'replaced', backup };
  const temporary = `${target}.tmp-${process.pid}`;
  writeFileSync(temporary, text, { mode: 0o644, flag: 'wx' });
  try {
    renameSync(target, backup);
    renameSync(temporary, target);
  } catch (error) {
    rmSync(temporary, { force: true });
    throw error;
  }
  return { action: 'replaced', backup };
}

import { randomBytes } from 'node:crypto';
import { closeSync, constants, fchmodSync, openSync, renameSync, unlinkSync, writeSync } from 'node:fs';

export interface ReplaceFileOptions {
  /** The file's mode once complete. @default 0o600 */
  mode?: number;
  /** Called with the temporary file's path once it is written, before it is renamed (tests look at it there). */
  beforeRename?: (temporary: string) => void;
}

/**
 * Replaces `path` atomically: a new temporary file next to it, then rename.
 * The temporary name is random and created exclusively (O_EXCL never follows
 * a link), so no one can plant a link under it beforehand to have this
 * daemon (often root) write elsewhere; it stays 0600 until complete.
 */
export function replaceFile(path: string, data: string, options: ReplaceFileOptions = {}): void {
  const temporary = `${path}.${randomBytes(8).toString('hex')}.tmp`;
  const fd = openSync(temporary, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    try {
      writeSync(fd, data);
      fchmodSync(fd, options.mode ?? 0o600);
    } finally {
      closeSync(fd);
    }
    options.beforeRename?.(temporary);
    renameSync(temporary, path);
  } catch (error) {
    try {
      unlinkSync(temporary);
    } catch {
      // renamed or never made
    }
    throw error;
  }
}

import { closeSync, constants, fchmodSync, openSync, writeSync } from 'node:fs';

/** Creates `path` exclusively with mode 0600, never through a link, and writes `content`: for secrets in the daemon's private directory. */
export function createPrivateFile(path: string, content: string): void {
  const fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, 0o600);
  try {
    fchmodSync(fd, 0o600);
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
}

import { accessSync, constants } from 'node:fs';
import { delimiter, isAbsolute, join } from 'node:path';
import { EnvironmentError } from '../errors.js';

/** The Debian/EL package that ships each binary the daemon runs. */
export const PACKAGE_OF: Record<string, string> = {
  inotifywait: 'inotify-tools',
  csync2: 'csync2',
  rsync: 'rsync',
};

/** Finds an executable on PATH, as execvp would. */
export function findOnPath(binary: string, path = process.env.PATH ?? ''): string | undefined {
  for (const dir of path.split(delimiter)) {
    // Only absolute entries: a relative or empty one would resolve against the working directory.
    if (!isAbsolute(dir)) continue;
    const candidate = join(dir, binary);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Fails with the install command when a binary the daemon needs is missing. */
export function requireBinaries(binaries: readonly string[]): void {
  for (const binary of binaries) {
    if (findOnPath(binary)) continue;
    const pkg = PACKAGE_OF[binary] ?? binary;
    throw new EnvironmentError(
      `${binary} not found on PATH: install the ${pkg} package (apt-get install -y ${pkg}, or dnf install -y ${pkg} with EPEL)`,
    );
  }
}

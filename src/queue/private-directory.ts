import { realpathSync, statSync, type Stats } from 'node:fs';
import { dirname } from 'node:path';
import { EnvironmentError } from '../errors.js';

function octal(stats: Stats): string {
  return (stats.mode & 0o7777).toString(8).padStart(4, '0');
}

/**
 * Refuses a queue directory other local users could write into: there they
 * could plant a link or a file under the queue's, lock's or status file's
 * name and make this daemon (often root) truncate or overwrite what it
 * points at. The directory itself must be writable by its owner only (a
 * sticky /tmp-like one is refused too: others could still create the names
 * first), owned by this user or root. Above it, a directory others can write
 * is accepted only with the sticky bit, which stops them renaming ours away.
 */
export function checkPrivateDirectory(dir: string, euid = process.geteuid?.() ?? 0): void {
  const real = realpathSync(dir);
  const own = statSync(real);
  if (own.uid !== euid && own.uid !== 0) {
    throw new EnvironmentError(
      `queue directory ${dir} belongs to uid ${own.uid}, not to this user (uid ${euid}) or root: choose a directory of your own with --queue-file, or chown ${euid} ${dir}`,
    );
  }
  if ((own.mode & 0o022) !== 0) {
    throw new EnvironmentError(
      `queue directory ${dir} is writable by group or others (mode ${octal(own)}): chmod go-w ${dir}, or choose a directory only this user can write with --queue-file (as root the default /var/lib/inotify-csync)`,
    );
  }
  for (let above = dirname(real); ; above = dirname(above)) {
    const stats = statSync(above);
    if (stats.uid !== euid && stats.uid !== 0) {
      throw new EnvironmentError(
        `queue directory ${dir} lies in ${above}, which belongs to uid ${stats.uid}: that user could replace it; choose another directory with --queue-file`,
      );
    }
    if ((stats.mode & 0o022) !== 0 && (stats.mode & 0o1000) === 0) {
      throw new EnvironmentError(
        `queue directory ${dir} lies in ${above}, which group or others can write (mode ${octal(stats)}, no sticky bit): chmod go-w ${above}, or choose another directory with --queue-file`,
      );
    }
    if (dirname(above) === above) return;
  }
}

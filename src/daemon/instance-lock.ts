import { closeSync, openSync, readFileSync, unlinkSync, writeSync } from 'node:fs';
import { InotifyCsyncError } from '../errors.js';
import { processAlive } from '../process/process-alive.js';

/**
 * One daemon per host and queue: a lock file next to the queue holds the PID.
 * A lock left by a process that no longer runs (killed with SIGKILL) is taken over.
 */
export class InstanceLock {
  private held = false;

  constructor(readonly path: string) {}

  /** Takes the lock; returns the PID of a previous daemon that died holding it (it did not stop cleanly), if any. */
  acquire(host: string): number | undefined {
    let died: number | undefined;
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const fd = openSync(this.path, 'wx', 0o600);
        writeSync(fd, `${process.pid}\n`);
        closeSync(fd);
        this.held = true;
        return died;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') {
          throw new InotifyCsyncError(`cannot create the lock file ${this.path}: ${(error as Error).message}`, { cause: error });
        }
      }
      const pid = Number.parseInt(readFileSync(this.path, 'utf8').trim(), 10);
      if (Number.isInteger(pid) && pid > 0 && pid !== process.pid && processAlive(pid)) {
        throw new InotifyCsyncError(
          `another inotify-csync (PID ${pid}) already runs for host ${host} (lock file ${this.path}): stop it first, or give this one its own --queue-file`,
        );
      }
      died = Number.isInteger(pid) && pid > 0 ? pid : died;
      unlinkSync(this.path);
    }
    throw new InotifyCsyncError(`cannot take the lock file ${this.path}: it keeps coming back`);
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    try {
      unlinkSync(this.path);
    } catch {
      // already gone
    }
  }
}

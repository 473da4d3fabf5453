import { statSync, unlinkSync } from 'node:fs';
import type { DaemonStatus } from '../daemon/status-snapshot.js';
import { replaceFile } from '../status/replace-file.js';
import { renderMetrics } from './prometheus-text.js';

/**
 * The `--metrics-file` for node_exporter's textfile collector: replaced
 * atomically (the collector never reads half a file) and world-readable, as
 * node_exporter often runs as its own user.
 */
export class MetricsFile {
  /** Inode of the file this process wrote last: removal leaves someone else's file alone. */
  private inode: number | undefined;

  constructor(readonly path: string) {}

  write(status: DaemonStatus): void {
    replaceFile(this.path, renderMetrics(status), { mode: 0o644 });
    this.inode = statSync(this.path).ino;
  }

  /** A stopped daemon's numbers would look current: the file goes with it, and `absent()` alerts see that. */
  remove(): void {
    if (this.inode === undefined) return;
    try {
      if (statSync(this.path).ino === this.inode) unlinkSync(this.path);
    } catch {
      // already gone
    }
    this.inode = undefined;
  }
}

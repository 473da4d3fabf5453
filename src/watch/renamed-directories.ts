import { existsSync } from 'node:fs';

/**
 * inotifywait -r keeps a path per watch and renames them itself; under churn
 * with directories moved between parents it reports later events under stale
 * paths, so a change inside a moved tree can be queued under a name that does
 * not exist, and checking only the renamed names loses changes (docs/decisions.md,
 * "Checking whole subtrees after directory renames"). Once the renames
 * have settled, the top-level directories (below the watch root) that held
 * them are checked as subtrees: the area a full sync would fix, without
 * checking the rest of the tree. When such a directory is gone itself (renamed,
 * or named by a stale path), a full sync follows, as it did after every rename.
 */
export interface RenamedDirectoriesOptions {
  /** Queues a path for the next batch. */
  recheck: (path: string) => void;
  /**
   * A noted area no longer exists when renames settle: a top-level directory
   * was renamed, or inotifywait named it by a stale path. Where its tree went
   * is unknown, so the whole tree is checked (a full sync).
   */
  areaGone: (path: string) => void;
  /** @default fs.existsSync */
  exists?: (path: string) => boolean;
  /** Quiet time after the last directory rename. @default 1500 */
  settleMs?: number;
  /** The longest a rename waits for its recheck while renames keep coming. @default 10000 */
  maxWaitMs?: number;
}

export class RenamedDirectories {
  private readonly paths = new Set<string>();
  private timer: NodeJS.Timeout | undefined;
  private firstAt = 0;

  constructor(private readonly options: RenamedDirectoriesOptions) {}

  /** A directory moved within `path` (a subtree to check again once renames settle). */
  noteRename(path: string): void {
    const now = Date.now();
    if (this.paths.size === 0) this.firstAt = now;
    this.paths.add(path);
    const settle = this.options.settleMs ?? 1500;
    const latest = this.firstAt + (this.options.maxWaitMs ?? 10_000);
    clearTimeout(this.timer);
    this.timer = setTimeout(() => this.flush(), Math.max(0, Math.min(now + settle, latest) - now));
    this.timer.unref();
  }

  /** Queues every noted directory now. */
  flush(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    const exists = this.options.exists ?? existsSync;
    const gone = [...this.paths].find((path) => !exists(path));
    if (gone !== undefined) this.options.areaGone(gone);
    else for (const path of this.paths) this.options.recheck(path);
    this.paths.clear();
  }

  stop(): void {
    clearTimeout(this.timer);
    this.paths.clear();
  }
}

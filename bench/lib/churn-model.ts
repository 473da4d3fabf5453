import { sha256, type TreeEntry, type TreeSnapshot } from './tree-snapshot.js';

/** What the writer last did to a path: a file with these bytes and mode, or a directory. */
export type ModelEntry = { type: 'file'; mode: number; bytes: Buffer } | { type: 'dir'; mode: number };

/**
 * A writer's own record of its subtree: exactly its last action on each
 * path. Renames and recursive removals move or drop everything below.
 */
export class ChurnModel {
  readonly entries = new Map<string, ModelEntry>();

  files(): string[] {
    return [...this.entries].filter(([, e]) => e.type === 'file').map(([rel]) => rel);
  }

  dirs(): string[] {
    return [...this.entries].filter(([, e]) => e.type === 'dir').map(([rel]) => rel);
  }

  get(rel: string): ModelEntry | undefined {
    return this.entries.get(rel);
  }

  set(rel: string, entry: ModelEntry): void {
    this.entries.set(rel, entry);
  }

  /** `rel` and everything below it. */
  below(rel: string): string[] {
    return [...this.entries.keys()].filter((key) => key === rel || key.startsWith(`${rel}/`));
  }

  remove(rel: string): void {
    for (const key of this.below(rel)) this.entries.delete(key);
  }

  /** A rename of `from` (file or directory) to `to`, replacing what `to` held. */
  move(from: string, to: string): void {
    this.remove(to);
    const moved = this.below(from).map((key) => [key, this.entries.get(key) as ModelEntry] as const);
    for (const [key] of moved) this.entries.delete(key);
    for (const [key, entry] of moved) this.entries.set(to + key.slice(from.length), entry);
  }

  /** The model as a snapshot, to compare with the nodes' trees. */
  snapshot(): TreeSnapshot {
    const out: TreeSnapshot = new Map();
    for (const [rel, entry] of this.entries) {
      const value: TreeEntry = entry.type === 'file'
        ? { type: 'file', mode: entry.mode, sha256: sha256(entry.bytes), size: entry.bytes.length }
        : { type: 'dir', mode: entry.mode };
      out.set(rel, value);
    }
    return out;
  }
}

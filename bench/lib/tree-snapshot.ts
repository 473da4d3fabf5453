import { createHash } from 'node:crypto';
import { lstat, readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';

/** What a path holds: a file's bytes (as sha256) and mode, or a directory and its mode. */
export type TreeEntry =
  | { type: 'file'; mode: number; sha256: string; size: number }
  | { type: 'dir'; mode: number }
  | { type: 'other'; mode: number };

/** Relative path (with '/') -> entry; the root itself is not listed. */
export type TreeSnapshot = Map<string, TreeEntry>;

export function sha256(bytes: Buffer): string {
  return createHash('sha256').update(bytes).digest('hex');
}

interface CachedHash {
  ino: bigint;
  size: bigint;
  ctimeNs: bigint;
  sha256: string;
}

/**
 * Reads a node's tree into a snapshot. A file is read only when its inode,
 * size or ctime changed since the last scan (ctime moves on every write and
 * chmod and cannot be set back), so scanning twice a second stays cheap.
 * Paths that vanish during the scan are left out: the next scan sees them.
 */
export class TreeScanner {
  private readonly hashes = new Map<string, CachedHash>();

  constructor(
    readonly root: string,
    /** Only these top-level names are scanned (e.g. the churned subtrees of a big tree); all when undefined. */
    private readonly only?: (name: string) => boolean,
  ) {}

  async scan(): Promise<TreeSnapshot> {
    const out: TreeSnapshot = new Map();
    await this.walk('', out);
    return out;
  }

  private async walk(rel: string, out: TreeSnapshot): Promise<void> {
    let names: string[];
    try {
      names = await readdir(rel ? join(this.root, rel) : this.root);
    } catch {
      return;
    }
    if (!rel && this.only) names = names.filter(this.only);
    const subdirs: string[] = [];
    await Promise.all(names.map(async (name) => {
      const childRel = rel ? `${rel}/${name}` : name;
      const entry = await this.entry(childRel);
      if (!entry) return;
      out.set(childRel, entry);
      if (entry.type === 'dir') subdirs.push(childRel);
    }));
    for (const dir of subdirs) await this.walk(dir, out);
  }

  private async entry(rel: string): Promise<TreeEntry | undefined> {
    const path = join(this.root, rel);
    try {
      const stats = await lstat(path, { bigint: true });
      const mode = Number(stats.mode & 0o7777n);
      if (stats.isDirectory()) return { type: 'dir', mode };
      if (!stats.isFile()) return { type: 'other', mode };
      const cached = this.hashes.get(path);
      if (cached && cached.ino === stats.ino && cached.size === stats.size && cached.ctimeNs === stats.ctimeNs) {
        return { type: 'file', mode, sha256: cached.sha256, size: Number(stats.size) };
      }
      const bytes = await readFile(path);
      const hash = sha256(bytes);
      this.hashes.set(path, { ino: stats.ino, size: stats.size, ctimeNs: stats.ctimeNs, sha256: hash });
      return { type: 'file', mode, sha256: hash, size: bytes.length };
    } catch {
      return undefined;
    }
  }
}

/** One line for a report: what a path holds, or "absent". */
export function describeEntry(entry: TreeEntry | undefined): string {
  if (!entry) return 'absent';
  const mode = entry.mode.toString(8).padStart(4, '0');
  return entry.type === 'file' ? `file ${mode} ${entry.size} B sha256 ${entry.sha256.slice(0, 12)}` : `${entry.type} ${mode}`;
}

export function sameEntry(a: TreeEntry | undefined, b: TreeEntry | undefined): boolean {
  if (!a || !b) return a === b;
  if (a.type !== b.type || a.mode !== b.mode) return false;
  return a.type !== 'file' || (b.type === 'file' && a.sha256 === b.sha256);
}

/** Paths where two snapshots differ (in either), sorted. */
export function diffSnapshots(a: TreeSnapshot, b: TreeSnapshot): string[] {
  const out: string[] = [];
  for (const [rel, entry] of a) if (!sameEntry(entry, b.get(rel))) out.push(rel);
  for (const rel of b.keys()) if (!a.has(rel)) out.push(rel);
  return out.sort();
}

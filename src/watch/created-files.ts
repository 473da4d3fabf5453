/** How inotifywait (3.22) names an inode that has no name: the watched directory, then `#INODE`. */
const UNNAMED_INODE = /\/#(\d+)$/;

/** The inode number of an event path that names no file but an unnamed inode (an O_TMPFILE), else undefined. */
export function unnamedInode(path: string): number | undefined {
  const match = UNNAMED_INODE.exec(path);
  return match ? Number(match[1]) : undefined;
}

/**
 * Regular files whose CREATE was dropped because their CLOSE_WRITE names
 * them later. A file written with O_TMPFILE and then linked (linkat) breaks
 * that: its CREATE names it, but its CLOSE_WRITE names only the inode
 * (`dir/#INODE`). Remembering the inode of each created file until its
 * CLOSE_WRITE lets that close be turned into the name. Bounded: a file
 * created without ever being written (mknod, O_RDONLY) is forgotten in turn.
 */
export class CreatedFiles {
  private readonly byPath = new Map<string, number>();
  private readonly byInode = new Map<number, string>();

  /** @param limit Files remembered at most (the oldest go first). @default 4096 */
  constructor(private readonly limit = 4096) {}

  get size(): number {
    return this.byPath.size;
  }

  created(path: string, inode: number): void {
    this.forget(path);
    this.byPath.set(path, inode);
    this.byInode.set(inode, path);
    if (this.byPath.size > this.limit) {
      const oldest = this.byPath.keys().next().value;
      if (oldest !== undefined) this.forget(oldest);
    }
  }

  /** The file's CLOSE_WRITE under its name came: nothing left to resolve. */
  closed(path: string): void {
    this.forget(path);
  }

  /** The name a created file got, for a close reported under its inode; forgotten once asked. */
  nameOf(inode: number): string | undefined {
    const path = this.byInode.get(inode);
    if (path !== undefined) this.forget(path);
    return path;
  }

  private forget(path: string): void {
    const inode = this.byPath.get(path);
    if (inode === undefined) return;
    this.byPath.delete(path);
    if (this.byInode.get(inode) === path) this.byInode.delete(inode);
  }
}

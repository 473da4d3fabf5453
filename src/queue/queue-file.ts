import { accessSync, closeSync, constants, fstatSync, ftruncateSync, lstatSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { EnvironmentError } from '../errors.js';
import type { Logger } from '../log/logger.js';
import { checkPrivateDirectory } from './private-directory.js';
import { encodeRecord } from './records.js';

/**
 * mkdir -p with mode 0700 for each new level. Node's own recursive mkdirSync
 * loops forever under /proc (Node 20), so the levels are made one by one.
 */
function makeDirectories(dir: string): void {
  try {
    if (statSync(dir).isDirectory()) return;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  const parent = dirname(dir);
  if (parent !== dir) makeDirectories(parent);
  mkdirSync(dir, { mode: 0o700 });
}

/** Bytes moved at a time when a reset carries the unread records over. */
const CARRY_SLICE_BYTES = 1024 * 1024;

/** Records held in memory while the disk refuses writes; past this, they are dropped and a full sync stands in. */
const MAX_PENDING_RECORDS = 200_000;

export interface QueueFileEvents {
  /** New records reached the file. */
  onAppend: () => void;
  /** Records were lost (disk full past the memory cap) or a write failed and now works again: a full sync is due. */
  onNeedFullSync: (reason: string) => void;
}

/**
 * The on-disk rolling queue (the design's queue file), written only by this
 * process: appends are gathered per event-loop turn and written with one
 * write(2) on an O_APPEND descriptor. Because the writer, the reader and the
 * reset share one thread, a reset can never lose a record appended meanwhile.
 */
export class QueueFile {
  private fd: number | undefined;
  private inode = 0;
  private pending: string[] = [];
  private flushScheduled = false;
  private writeError: string | undefined;
  private dropped = 0;
  /** Records appended since start (a counter for status). */
  appended = 0;
  /** Bytes this process wrote since the file was last emptied: the file can only be shorter if someone truncated it. */
  private written = 0;

  constructor(
    readonly path: string,
    private readonly log: Logger,
    private readonly events: QueueFileEvents,
  ) {}

  /** Creates the queue's directory (0700) if needed, and checks it can be written, by this user only. */
  prepareDirectory(): void {
    const dir = dirname(this.path);
    try {
      makeDirectories(dir);
      accessSync(dir, constants.W_OK);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      throw new EnvironmentError(
        `queue directory ${dir} is not writable (${code}): make it writable for this user or choose another with --queue-file`,
        { cause: error },
      );
    }
    checkPrivateDirectory(dir);
  }

  /**
   * Opens an empty file (0600), as the bash script empties its queue at start.
   * Never through a symbolic link, and only a regular file with one name is
   * emptied: anything else could point the truncation at another file.
   */
  open(): void {
    this.prepareDirectory();
    let fd: number;
    try {
      // Read and write: the reset reads the unread tail through this descriptor, not the path.
      fd = openSync(this.path, constants.O_RDWR | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? 'error';
      if (code === 'ELOOP') {
        throw new EnvironmentError(
          `queue file ${this.path} is a symbolic link, which inotify-csync does not follow (it would empty the target): remove the link, or choose another --queue-file`,
          { cause: error },
        );
      }
      throw new EnvironmentError(
        `cannot create the queue file ${this.path} (${code}): make it writable for this user or choose another with --queue-file`,
        { cause: error },
      );
    }
    const stats = fstatSync(fd);
    const refused = !stats.isFile() ? 'is not a regular file' : stats.nlink > 1 ? `has ${stats.nlink} hard links (emptying it would empty the other names too)` : undefined;
    if (refused) {
      closeSync(fd);
      throw new EnvironmentError(`queue file ${this.path} ${refused}: remove it, or choose another --queue-file`);
    }
    ftruncateSync(fd);
    this.fd = fd;
    this.written = 0;
    this.inode = stats.ino;
  }

  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  /** Queues one path; it reaches the file at the end of this event-loop turn. */
  append(path: string): void {
    this.pending.push(encodeRecord(path));
    this.appended++;
    if (this.pending.length > MAX_PENDING_RECORDS) {
      this.dropped += this.pending.length;
      this.pending = [];
    }
    if (!this.flushScheduled) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  /** Writes what is pending now. */
  flush(): void {
    this.flushScheduled = false;
    if (this.fd === undefined || this.pending.length === 0) return;
    const data = this.pending.join('');
    try {
      writeSync(this.fd, data);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code ?? String(error);
      if (this.writeError === undefined) {
        this.log.error(
          `cannot append to the queue file ${this.path} (${code}); ${this.pending.length} changes held in memory, retrying; a full sync follows when writing works again`,
        );
      }
      this.writeError = code;
      return;
    }
    this.pending = [];
    this.written += Buffer.byteLength(data);
    if (this.writeError !== undefined || this.dropped > 0) {
      const lost = this.dropped;
      this.log.info(`writing to the queue file ${this.path} works again${lost ? ` (${lost} changes were dropped)` : ''}`);
      this.writeError = undefined;
      this.dropped = 0;
      this.events.onNeedFullSync('the queue file could not be written for a while');
    }
    this.events.onAppend();
  }

  /** True while appends fail (e.g. disk full). */
  get failing(): boolean {
    return this.writeError !== undefined;
  }

  get pendingCount(): number {
    return this.pending.length;
  }

  /** Current size of the file in bytes. */
  size(): number {
    if (this.fd === undefined) return 0;
    return fstatSync(this.fd).size;
  }

  /** The file at the path is no longer the one this process writes (deleted or replaced, also by a link). */
  replaced(): boolean {
    try {
      return lstatSync(this.path).ino !== this.inode;
    } catch {
      return true;
    }
  }

  /**
   * RESET QUEUE LOG under load: the records from `offset` on (not read yet) are
   * moved to the start of the file, which is then cut after them. The daemon
   * is the file's only writer and this runs synchronously, so no append can
   * come in between. The move goes slice by slice, so a large unread tail
   * takes 1 MB of memory, not its own size. Returns the bytes carried over:
   * the reader's new offset is 0.
   */
  resetKeepingTail(offset: number): number {
    this.flush();
    if (this.fd === undefined) return 0;
    const tailBytes = Math.max(0, this.size() - offset);
    // Writes at a position need a descriptor without O_APPEND (Linux appends whatever
    // the position then): the same open file again through /proc, never the path.
    let out: number | undefined;
    try {
      if (tailBytes > 0) out = openSync(`/proc/self/fd/${this.fd}`, constants.O_WRONLY);
    } catch {
      out = undefined;
    }
    const carried = out === undefined ? this.carryInMemory(offset, tailBytes) : this.carryInSlices(out, offset, tailBytes);
    this.written = carried;
    return carried;
  }

  /** Moves `tailBytes` from `offset` to the start through `out` (positional writes), then cuts the file after them. */
  private carryInSlices(out: number, offset: number, tailBytes: number): number {
    const fd = this.fd as number;
    try {
      const buffer = Buffer.allocUnsafe(Math.min(CARRY_SLICE_BYTES, tailBytes));
      let moved = 0;
      while (moved < tailBytes) {
        const length = readSync(fd, buffer, 0, Math.min(buffer.length, tailBytes - moved), offset + moved);
        if (length === 0) break;
        // The write stays behind the read: what it overwrites was already moved.
        for (let done = 0; done < length; ) done += writeSync(out, buffer, done, length - done, moved + done);
        moved += length;
      }
      ftruncateSync(fd, moved);
      return moved;
    } finally {
      closeSync(out);
    }
  }

  /** Without /proc: the tail is read whole, the file emptied and the tail appended. */
  private carryInMemory(offset: number, tailBytes: number): number {
    const fd = this.fd as number;
    const tail = Buffer.alloc(tailBytes);
    let read = 0;
    while (read < tail.length) {
      const length = readSync(fd, tail, read, tail.length - read, offset + read);
      if (length === 0) break;
      read += length;
    }
    ftruncateSync(fd);
    if (read > 0) writeSync(fd, tail, 0, read);
    return read;
  }

  /** Empties the file (RESET QUEUE LOG). Call only when every record has been read. */
  truncate(): void {
    if (this.fd !== undefined) ftruncateSync(this.fd);
    this.written = 0;
  }

  /**
   * Someone else truncated the file: it is shorter than what this process wrote
   * into it. (A size check against the reader's offset alone misses a
   * truncation followed by new appends, which would be read from the middle.)
   */
  truncatedBehindUs(): boolean {
    return this.size() < this.written;
  }

  /** Opens the path again after it was deleted or replaced behind the daemon's back. */
  reopen(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    this.open();
  }
}

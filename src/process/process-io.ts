import { readFileSync } from 'node:fs';

/** Bytes process `pid` has read and written so far (`rchar`, `wchar` of /proc/PID/io); undefined once gone or unreadable. */
export function processIoCounters(pid: number, proc = '/proc'): { read: number; written: number } | undefined {
  let text: string;
  try {
    text = readFileSync(`${proc}/${pid}/io`, 'latin1');
  } catch {
    return undefined;
  }
  const rchar = /^rchar:\s*(\d+)/m.exec(text)?.[1];
  const wchar = /^wchar:\s*(\d+)/m.exec(text)?.[1];
  if (rchar === undefined || wchar === undefined) return undefined;
  return { read: Number(rchar), written: Number(wchar) };
}

/** Bytes process `pid` has read and written so far (`rchar` + `wchar`); undefined once gone or unreadable. */
export function processIoCount(pid: number, proc = '/proc'): number | undefined {
  const io = processIoCounters(pid, proc);
  return io === undefined ? undefined : io.read + io.written;
}

/** Bytes read that count as one step of progress: a trickle of single bytes is not a session at work. */
export const READ_BYTES_PER_STEP = 4096;

/**
 * How far a csync2 session has got: every byte it wrote (its answers, its
 * database) and every 4 KiB it read. A peer that trickles bytes without
 * ever completing a request moves this once per 4 KiB, not once per byte.
 */
export function sessionProgress(pid: number, proc = '/proc'): number | undefined {
  const io = processIoCounters(pid, proc);
  return io === undefined ? undefined : io.written + Math.floor(io.read / READ_BYTES_PER_STEP);
}

/** When a process last read or wrote anything: how long it has been waiting (on a peer, a lock). */
export class IoProgress {
  private pid: number | undefined;
  private last: number | undefined;
  private changedAt: number;

  constructor(
    private readonly now: () => number = Date.now,
    private readonly ioCount: (pid: number) => number | undefined = processIoCount,
  ) {
    this.changedAt = now();
  }

  /** The process to watch, once it runs; its idle time counts from here. */
  watch(pid: number | undefined): void {
    this.pid = pid;
    this.last = undefined;
    this.changedAt = this.now();
  }

  /** Milliseconds since its I/O counters last moved (since `watch` while they were never read). */
  idleMs(): number {
    const now = this.now();
    if (this.pid !== undefined) {
      const io = this.ioCount(this.pid);
      if (io !== this.last) {
        this.last = io;
        this.changedAt = now;
      }
    }
    return now - this.changedAt;
  }
}

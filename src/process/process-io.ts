import { readFileSync } from 'node:fs';

/** Bytes process `pid` has read and written so far (`rchar` + `wchar` of /proc/PID/io); undefined once gone or unreadable. */
export function processIoCount(pid: number, proc = '/proc'): number | undefined {
  let text: string;
  try {
    text = readFileSync(`${proc}/${pid}/io`, 'latin1');
  } catch {
    return undefined;
  }
  const rchar = /^rchar:\s*(\d+)/m.exec(text)?.[1];
  const wchar = /^wchar:\s*(\d+)/m.exec(text)?.[1];
  if (rchar === undefined || wchar === undefined) return undefined;
  return Number(rchar) + Number(wchar);
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

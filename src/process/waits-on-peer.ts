import { readFileSync } from 'node:fs';
import { arch } from 'node:os';

/** read(2) and recvfrom(2) (gnutls reads with recv) by architecture: what a process blocked on its input socket sits in. */
const READ_SYSCALLS: Record<string, number[]> = {
  x64: [0, 45],
  arm64: [63, 207],
  ia32: [3, 371],
  arm: [3, 292],
};

/**
 * Whether process `pid` is blocked reading fd `fd` (csync2 -i reads its peer
 * on fd 0), from /proc/PID/syscall: a session that waits for its peer's next
 * bytes, not one that works on its database or sleeps on a lock.
 * Undefined where that cannot be told (another architecture, no access, gone).
 */
export function waitsReadingFd(pid: number, fd = 0, proc = '/proc', machine = arch()): boolean | undefined {
  const reads = READ_SYSCALLS[machine];
  if (!reads) return undefined;
  let text: string;
  try {
    text = readFileSync(`${proc}/${pid}/syscall`, 'latin1').trim();
  } catch {
    return undefined;
  }
  // "running", or "-1 SP PC" (not in a syscall), or "NR ARG0 ARG1 ... SP PC".
  const [nr, arg0] = text.split(/\s+/);
  if (nr === undefined || arg0 === undefined || !/^\d+$/.test(nr)) return false;
  return reads.includes(Number(nr)) && Number.parseInt(arg0, 16) === fd;
}

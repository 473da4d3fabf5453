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

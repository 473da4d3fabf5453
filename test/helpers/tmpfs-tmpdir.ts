import { accessSync, constants, statfsSync } from 'node:fs';

// Loaded before the tests (`node --import`): the test clusters go to tmpfs.
// csync2 syncs its SQLite database to disk for every file it sends, so on a
// shared disk a transfer's time varies with the other tenants' writes: 550
// files to two peers took 1.4 s on tmpfs against 2.2 to 6.9 s on this
// machine's disk. The tests check what arrives and how fast the daemon reacts,
// not the disk; the benchmarks (`npm run bench`) stay on the disk.

const SHM = '/dev/shm';
/** The 100,000-file test needs about 1.3 GB there (4 KiB per small file on tmpfs). */
const ENOUGH_BYTES = 3 * 1024 ** 3;

/** /dev/shm when it is a writable directory with room enough, else undefined. */
export function tmpfsWithRoom(dir = SHM, enough = ENOUGH_BYTES): string | undefined {
  try {
    accessSync(dir, constants.W_OK);
    const stats = statfsSync(dir);
    return stats.bavail * stats.bsize >= enough ? dir : undefined;
  } catch {
    return undefined;
  }
}

// An explicit TMPDIR is the admin's choice and stays.
if (process.env.TMPDIR === undefined) {
  const dir = tmpfsWithRoom();
  if (dir) process.env.TMPDIR = dir;
}

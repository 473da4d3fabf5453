#!/usr/bin/env node
// Makes sure the system tools the demo and the tests need are installed:
// installs them as root with apt-get or dnf, otherwise prints the exact command and fails.
import { execFileSync, spawnSync } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join } from 'node:path';

const NEEDED = [
  { binary: 'inotifywait', pkg: 'inotify-tools' },
  { binary: 'csync2', pkg: 'csync2' },
  { binary: 'rsync', pkg: 'rsync' },
];

function onPath(binary) {
  const dirs = [...(process.env.PATH ?? '').split(delimiter), '/usr/sbin', '/sbin'];
  return dirs.some((dir) => {
    try {
      accessSync(join(dir, binary), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}

/** Debian's csync2 only recommends its SQLite library; without it every call fails ("Please install sqlite3 client library"). */
function hasSqlite() {
  try {
    return execFileSync('ldconfig', ['-p'], { encoding: 'utf8' }).includes('libsqlite3.so.0');
  } catch {
    return true; // cannot tell: csync2's own error will say it
  }
}

const missing = NEEDED.filter(({ binary }) => !onPath(binary));
if (!hasSqlite()) missing.push({ binary: 'libsqlite3.so.0', pkg: 'libsqlite3-0' });
if (missing.length === 0) process.exit(0);

const pkgs = missing.map(({ pkg }) => pkg);
const isRoot = process.getuid?.() === 0;
const has = (tool) => onPath(tool);

if (isRoot && has('apt-get')) {
  console.log(`preflight: installing ${pkgs.join(' ')} with apt-get`);
  spawnSync('apt-get', ['update', '-qq'], { stdio: 'inherit' });
  const result = spawnSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...pkgs], {
    stdio: 'inherit',
    env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' },
  });
  if (result.status !== 0) {
    console.error(`preflight: apt-get install ${pkgs.join(' ')} failed`);
    process.exit(1);
  }
} else if (isRoot && has('dnf')) {
  console.log(`preflight: installing ${pkgs.join(' ')} with dnf`);
  const result = spawnSync('dnf', ['install', '-y', ...pkgs], { stdio: 'inherit' });
  if (result.status !== 0) {
    console.error(`preflight: dnf install ${pkgs.join(' ')} failed (csync2 and inotify-tools come from EPEL: dnf install -y epel-release)`);
    process.exit(1);
  }
} else {
  console.error(`preflight: missing ${missing.map(({ binary, pkg }) => `${binary} (package ${pkg})`).join(', ')}. Install them first:`);
  console.error(`  Debian/Ubuntu: sudo apt-get install -y ${pkgs.join(' ')}`);
  console.error(`  EL8/EL9:       sudo dnf install -y epel-release && sudo dnf install -y ${pkgs.join(' ')}`);
  process.exit(1);
}

const still = NEEDED.filter(({ binary }) => !onPath(binary));
if (!hasSqlite()) still.push({ binary: 'libsqlite3.so.0' });
if (still.length > 0) {
  console.error(`preflight: still missing after install: ${still.map(({ binary }) => binary).join(', ')}`);
  process.exit(1);
}
try {
  execFileSync('inotifywait', ['--help'], { stdio: 'ignore' });
} catch {
  // inotifywait --help exits non-zero on some versions; being found is what counts
}
console.log('preflight: inotify-tools, csync2 and rsync are installed');

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { waitsReadingFd } from '../../src/process/waits-on-peer.js';

test('read(2) or recvfrom(2) on fd 0 is waiting for the peer; a sleep, a read of another fd, or running is not', async () => {
  const proc = await mkdtemp(join(tmpdir(), 'inotify-csync-proc-'));
  try {
    const cases: Array<[string, string, boolean | undefined]> = [
      ['x64', '0 0x0 0x7ffd 0x1 0x0', true],
      ['x64', '45 0x0 0x7ffd 0x1000 0x0', true],
      ['x64', '0 0x3 0x7ffd 0x1000', false],
      ['x64', '230 0x0 0x0 0x7ffc', false],
      ['x64', 'running', false],
      ['x64', '-1 0x7ffc 0x7f7e', false],
      ['arm64', '63 0x0 0x1 0x1', true],
      ['riscv64', '63 0x0 0x1 0x1', undefined],
    ];
    for (const [index, [machine, line, expected]] of cases.entries()) {
      await mkdir(join(proc, String(index)), { recursive: true });
      await writeFile(join(proc, String(index), 'syscall'), `${line}\n`);
      assert.equal(waitsReadingFd(index, 0, proc, machine), expected, `${machine}: ${line}`);
    }
    assert.equal(waitsReadingFd(999, 0, proc, 'x64'), undefined, 'a process that is gone');
  } finally {
    await rm(proc, { recursive: true, force: true });
  }
});

test('a real process blocked reading its stdin is seen so, a sleeping one is not', { skip: process.arch !== 'x64' && process.arch !== 'arm64' ? 'another architecture' : false }, async () => {
  const reader = spawn('cat', [], { stdio: ['pipe', 'ignore', 'ignore'] });
  const sleeper = spawn('sleep', ['5'], { stdio: 'ignore' });
  try {
    const deadline = Date.now() + 3000;
    while (waitsReadingFd(reader.pid as number) !== true && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(waitsReadingFd(reader.pid as number), true);
    assert.equal(waitsReadingFd(sleeper.pid as number), false);
  } finally {
    reader.kill();
    sleeper.kill();
  }
});

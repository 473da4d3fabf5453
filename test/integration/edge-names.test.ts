import assert from 'node:assert/strict';
import { mkdirSync, writeFileSync, readFileSync, symlinkSync } from 'node:fs';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, test } from 'node:test';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { runCli } from '../helpers/cli.js';
import { useDaemonCluster } from '../helpers/daemon-cluster.js';
import { waitFor } from '../helpers/wait.js';

/** Reads a file by a path given as bytes (names that are not UTF-8). */
function bytesOf(path: Buffer): Buffer | undefined {
  try {
    return readFileSync(path);
  } catch {
    return undefined;
  }
}

describe('odd names and long paths', () => {
  const ctx = useDaemonCluster();

  const cases: Array<[string, Buffer]> = [
    ['a tab', Buffer.from('tab\there.txt')],
    ['a newline', Buffer.from('new\nline.txt')],
    ['bytes that are not UTF-8', Buffer.from([0x6c, 0x61, 0x74, 0x69, 0x6e, 0x31, 0x2d, 0xe9, 0x74, 0xe9, 0x2e, 0x74, 0x78, 0x74])],
    ['255 bytes', Buffer.from(`${'n'.repeat(251)}.txt`)],
  ];
  for (const [what, name] of cases) {
    test(`a file name with ${what} arrives`, async () => {
      const content = Buffer.from(`content of a name with ${what}\n`);
      const source = Buffer.concat([Buffer.from(`${ctx.cluster.node(0).dir}/`), name]);
      const target = Buffer.concat([Buffer.from(`${ctx.cluster.node(1).dir}/`), name]);
      writeFileSync(source, content);
      await waitFor(() => bytesOf(target)?.equals(content), `the file with ${what} on the peer`);
    });
  }

  test('a path 4,000 bytes long arrives', async () => {
    const parts = Array.from({ length: 19 }, (_, i) => `${String(i).padStart(2, '0')}${'d'.repeat(196)}`);
    const dir = join(ctx.cluster.node(0).dir, ...parts);
    mkdirSync(dir, { recursive: true });
    const file = join(dir, 'end.txt');
    assert.ok(Buffer.byteLength(file) >= 3800, `path of ${Buffer.byteLength(file)} bytes`);
    writeFileSync(file, 'far down\n');
    const target = join(ctx.cluster.node(1).dir, ...parts, 'end.txt');
    await waitFor(() => bytesOf(Buffer.from(target))?.equals(Buffer.from('far down\n')), 'the deep file on the peer', 5000);
  });
});

test('watch limit reached: the daemon stops and says how many directories, the limit and the sysctl fix', async () => {
  const cluster = await LocalCluster.create({ nodes: 2 });
  const bin = await mkdtemp(join(tmpdir(), 'inotify-csync-fakebin-'));
  try {
    await mkdir(join(cluster.node(0).dir, 'x', 'y'), { recursive: true });
    symlinkSync(resolve('test/fixtures/bin/inotifywait-watch-limit'), join(bin, 'inotifywait'));
    const result = await runCli([...cluster.csync2Args(0), '--queue-file', join(cluster.root, 'q', 'queue'), '--disable-rsync'], {
      env: { ...cluster.env, PATH: `${bin}:${process.env.PATH ?? ''}` },
    });
    assert.equal(result.exitCode, 1);
    const limit = readFileSync('/proc/sys/fs/inotify/max_user_watches', 'utf8').trim();
    assert.match(
      result.stderr.trim(),
      new RegExp(`^inotify-csync: the watched trees hold 3 directories but fs\\.inotify\\.max_user_watches is ${limit}: raise it with 'sysctl -w fs\\.inotify\\.max_user_watches=\\d+' and keep it with 'echo fs\\.inotify\\.max_user_watches=\\d+ > /etc/sysctl\\.d/60-inotify-csync\\.conf'$`),
    );
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  } finally {
    await cluster.destroy();
    await rm(bin, { recursive: true, force: true });
  }
});

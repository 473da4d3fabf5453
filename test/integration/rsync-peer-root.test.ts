import assert from 'node:assert/strict';
import { renameSync } from 'node:fs';
import { chmod, mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { execa } from 'execa';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { filesFromList, rsyncArgs } from '../../src/sync/rsync-sender.js';
import { diffSnapshots, explainTimeouts, logTails, snapshot, waitFor } from '../helpers/wait.js';

/** A peer root no remote shell may touch: spaces, `$`, `;`, `'` and `*`. */
const PEER_DIR = "peer root $HOME; it's *";

/**
 * Stands in for ssh (no sshd on the test machine): ssh joins the command it is
 * given with spaces and the peer's sshd runs that line through the user's
 * shell. This does the same on loopback: what matters here, a shell parsing
 * rsync's remote command line, is real.
 */
const SHELL_AS_SSH = '#!/bin/sh\n# rsync calls: RSH HOST rsync --server ...\nshift\nexec sh -c "$*"\n';

// rsync before 3.2.4 handed the peer's path to that shell as it is, which split
// it at the spaces and expanded the rest. rsync 3.2.4 and later (3.5.0 here)
// escape it themselves unless RSYNC_OLD_ARGS=1 is set, which brings the old
// behaviour back: the daemon runs with it here, as an older rsync would behave.
describe('a large batch through rsync to a peer root with spaces and shell characters', () => {
  let cluster: LocalCluster;
  let daemon: DaemonProcess;
  let bin: string;

  before(async () => {
    cluster = await LocalCluster.create({ nodes: 2, dirNames: ['a', PEER_DIR] });
    bin = await mkdtemp(join(tmpdir(), 'shell-as-ssh-'));
    await writeFile(join(bin, 'ssh'), SHELL_AS_SSH);
    await chmod(join(bin, 'ssh'), 0o755);
    await cluster.startServer(1);
    daemon = DaemonProcess.start(cluster, 0, {
      args: ['--rsync-target', '{host}:{path}', '--rsync-rsh', join(bin, 'ssh'), '--rsync-threshold', '40', '--check-interval', '3', '--no-server'],
      env: { RSYNC_OLD_ARGS: '1' },
    });
    await daemon.ready();
    explainTimeouts(() => logTails([daemon]));
  });

  after(async () => {
    explainTimeouts(undefined);
    await daemon?.stop();
    await cluster?.destroy();
    if (bin) await rm(bin, { recursive: true, force: true });
  });

  test('rsync delivers the files into that root with the same bytes', async () => {
    const a = cluster.node(0).dir;
    const peer = cluster.node(1).dir;
    assert.ok(peer.endsWith(PEER_DIR));
    await mkdir(join(a, 'deploy'));
    await waitFor(async () => (await readdir(peer)).includes('deploy'), 'deploy/ on the peer', 20_000, 50);
    const stage = join(cluster.root, 'stage');
    await mkdir(stage);
    for (let i = 0; i < 60; i++) await writeFile(join(stage, `page ${i}.html`), Buffer.from(`<p>page ${i}</p>\n`.repeat(1 + i)));
    const from = daemon.lines.length;
    // Moved in at once, as a deploy tool does: one batch past --rsync-threshold.
    for (let i = 0; i < 60; i++) renameSync(join(stage, `page ${i}.html`), join(a, 'deploy', `page ${i}.html`));
    const line = await daemon.waitForLine(/LARGE BATCH: rsync (sent|of|could not)/, 60_000);
    assert.match(line, /rsync sent 60 paths of .* to 127\.0\.0\.3/, 'rsync itself delivered the batch');
    const reference = await snapshot(join(a, 'deploy'));
    await waitFor(async () => diffSnapshots(reference, await snapshot(join(peer, 'deploy'))).length === 0, 'deploy/ identical on the peer', 60_000, 200);
    assert.doesNotMatch(daemon.lines.slice(from).join('\n'), /rsync (of|could not|sent only)/, 'no rsync run failed');
  });
});

// rsync 3.0 to 3.2.3 get -s (--protect-args): the same real rsync with
// RSYNC_OLD_ARGS=1 splits like them, and -s keeps the path whole.
test('-s, what rsync before 3.2.4 is given, keeps the peer path whole through the remote shell', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'rsync-protect-'));
  try {
    await writeFile(join(dir, 'ssh'), SHELL_AS_SSH);
    await chmod(join(dir, 'ssh'), 0o755);
    await mkdir(join(dir, 'src'));
    await mkdir(join(dir, PEER_DIR));
    await writeFile(join(dir, 'src', 'a file'), 'bytes\n');
    const target = `127.0.0.3:${join(dir, PEER_DIR)}/`;
    const run = (argProtection: 'secluded' | 'none') =>
      execa('rsync', rsyncArgs({ source: `${join(dir, 'src')}/`, target, rsh: join(dir, 'ssh'), ioTimeoutS: 10, argProtection }), {
        input: filesFromList(join(dir, 'src'), [join(dir, 'src', 'a file')]),
        env: { RSYNC_OLD_ARGS: '1' },
        reject: false,
      });
    const unprotected = await run('none');
    assert.notEqual(unprotected.exitCode, 0, 'split by the shell without protection');
    const protectedRun = await run('secluded');
    assert.equal(protectedRun.exitCode, 0, protectedRun.stderr);
    assert.deepEqual(await snapshot(join(dir, PEER_DIR)), await snapshot(join(dir, 'src')));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { execa } from 'execa';
import { useDaemonCluster } from '../helpers/daemon-cluster.js';
import { holds, waitFor } from '../helpers/wait.js';

/**
 * Writes a file the way O_TMPFILE users do: an unnamed inode in `dir`, the
 * first bytes, linkat() to `name`, the last bytes, close. And an unnamed
 * inode that is never linked. Node has no O_TMPFILE or linkat, so python3 does it.
 */
const TMPFILE_WRITER = `
import os, sys
directory, name, first, last = sys.argv[1:5]
proc = os.open('/proc', os.O_RDONLY | os.O_DIRECTORY)
fd = os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o644)
os.write(fd, first.encode())
# follow_symlinks with a dir fd makes this linkat(..., AT_SYMLINK_FOLLOW): plain link() refuses /proc/self/fd.
os.link('self/fd/%d' % fd, os.path.join(directory, name), src_dir_fd=proc, follow_symlinks=True)
os.write(fd, last.encode())
os.close(fd)
scratch = os.open(directory, os.O_TMPFILE | os.O_WRONLY, 0o600)
os.write(scratch, b'never linked')
os.close(scratch)
`;

function python3Missing(): string | false {
  try {
    execFileSync('python3', ['-c', 'import os; os.O_TMPFILE'], { stdio: 'ignore' });
    return false;
  } catch {
    return 'python3 is not installed (apt-get install python3-minimal): the test needs it to write a file with O_TMPFILE and linkat';
  }
}

describe('writers that create files in unusual ways', () => {
  const ctx = useDaemonCluster();

  test('a file created with O_TMPFILE and linked with linkat reaches the peer with the same bytes', { skip: python3Missing() }, async () => {
    const a = ctx.cluster.node(0).dir;
    const b = ctx.cluster.node(1).dir;
    // inotify reports `CREATE tmpfile-made.txt` at the link and `CLOSE_WRITE <dir>/#INODE` at the close.
    await execa('python3', ['-c', TMPFILE_WRITER, a, 'tmpfile-made.txt', 'written before the link\n', 'and after it\n']);
    const bytes = 'written before the link\nand after it\n';
    assert.equal(readFileSync(join(a, 'tmpfile-made.txt'), 'utf8'), bytes);
    await waitFor(() => holds(join(b, 'tmpfile-made.txt'), bytes), 'tmpfile-made.txt on the peer with all its bytes', 10_000);
    const queued = readFileSync(join(ctx.cluster.root, 'queue-0', 'queue'), 'utf8').split('\0');
    assert.deepEqual(queued.filter((path) => /\/#\d+$/.test(path)), [], 'no unnamed-inode path is queued');
  });
});

import assert from 'node:assert/strict';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { DaemonProcess } from '../../src/cluster/daemon-process.js';
import { LocalCluster } from '../../src/cluster/local-cluster.js';
import { explainTimeouts, gone, holds, logTails, waitFor } from '../helpers/wait.js';

// A configuration as admins write them: two groups, prefixes, a read-only host
// and basename excludes. Node A is in both groups; B is a full peer in "web";
// C is a read-only host in "uploads" only. The daemon runs on A and B.
let cluster: LocalCluster;
let daemons: DaemonProcess[] = [];

before(async () => {
  cluster = await LocalCluster.create({ nodes: 3 });
  const [a, b, c] = [0, 1, 2].map((i) => cluster.node(i));
  const key = join(cluster.etcDir, 'csync2.key');
  const config = `nossl * *;
tempdir ${cluster.root}/tmp;
# Two groups: the web root is shared by A and B; uploads also go to C, read-only.
group web {
  host ${a?.host} ${b?.host};
  key ${key};
  include %data%/www;
  exclude *.bak; exclude .git;
  auto younger;
}
group uploads
{
  host ${a?.host}
       (${c?.host});
  key ${key};
  include %data%/uploads;
  exclude *~;
  auto younger;
}
prefix data {
  on ${a?.host}: ${a?.dir};
  on ${b?.host}: ${b?.dir};
  on 127.0.0.*: ${c?.dir};
}
`;
  await writeFile(join(cluster.etcDir, 'csync2.cfg'), config);
  for (const node of cluster.nodes) {
    await mkdir(join(node.dir, 'www'), { recursive: true });
    await mkdir(join(node.dir, 'uploads'), { recursive: true });
  }
  await cluster.startServer(2);
  daemons = [0, 1].map((index) => DaemonProcess.start(cluster, index));
  await Promise.all(daemons.map((daemon) => daemon.ready()));
  explainTimeouts(() => logTails(daemons));
});

after(async () => {
  explainTimeouts(undefined);
  await Promise.all(daemons.map((daemon) => daemon.stop()));
  await cluster.destroy();
});

test('two groups, prefixes, a read-only host and basename excludes', async () => {
  const [a, b, c] = [0, 1, 2].map((i) => cluster.node(i).dir) as [string, string, string];
  assert.match(daemons[0]?.log ?? '', /CONFIG: groups: web, uploads/);
  assert.match(daemons[0]?.log ?? '', /127\.0\.0\.4 \(read-only\)/);

  await writeFile(join(a, 'www', 'index.html'), 'home\n');
  await waitFor(() => holds(join(b, 'www', 'index.html'), 'home\n'), 'www/index.html on B');
  await writeFile(join(a, 'uploads', 'photo.jpg'), 'jpeg\n');
  await waitFor(() => holds(join(c, 'uploads', 'photo.jpg'), 'jpeg\n'), 'uploads/photo.jpg on the read-only host C');
  await writeFile(join(b, 'www', 'from-b.css'), 'css\n');
  await waitFor(() => holds(join(a, 'www', 'from-b.css'), 'css\n'), 'www/from-b.css from B on A');

  // Basename excludes, each in its group; a sentinel written after them proves they were skipped.
  await writeFile(join(a, 'www', 'old.bak'), 'backup\n');
  await mkdir(join(a, 'www', '.git'));
  await writeFile(join(a, 'www', '.git', 'HEAD'), 'ref\n');
  await writeFile(join(a, 'uploads', 'draft~'), 'draft\n');
  await writeFile(join(a, 'www', 'after-excludes.txt'), 'x\n');
  await writeFile(join(a, 'uploads', 'after-excludes.txt'), 'y\n');
  await waitFor(() => holds(join(b, 'www', 'after-excludes.txt'), 'x\n'), 'the www sentinel on B');
  await waitFor(() => holds(join(c, 'uploads', 'after-excludes.txt'), 'y\n'), 'the uploads sentinel on C');
  assert.ok(await gone(join(b, 'www', 'old.bak')), '*.bak is excluded');
  assert.ok(await gone(join(b, 'www', '.git')), '.git is excluded');
  assert.ok(await gone(join(c, 'uploads', 'draft~')), '*~ is excluded');
  // Group boundaries: www never goes to C, uploads never to B.
  assert.ok(await gone(join(c, 'www', 'index.html')), 'C is not in the web group');
  assert.ok(await gone(join(b, 'uploads', 'photo.jpg')), 'B is not in the uploads group');
});

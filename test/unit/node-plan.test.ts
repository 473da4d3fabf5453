import assert from 'node:assert/strict';
import { test } from 'node:test';
import { renderClusterConfig } from '../../src/cluster/cluster-config.js';
import { planNodeEntry } from '../../src/cluster/node-plan.js';
import { UsageError } from '../../src/errors.js';

test('the docker compose environment gives both hosts /data and the shared key', () => {
  const plan = planNodeEntry(['--', '--mode', 'thread'], {
    INOTIFY_CSYNC_NODES: 'node1:/data,node2:/data',
    INOTIFY_CSYNC_NODE: 'node2',
    CSYNC2_SYSTEM_DIR: '/etc/csync2',
    INOTIFY_CSYNC_TEMPDIR: '/var/tmp/csync2',
  }, 'container-id');
  assert.equal(plan.host, 'node2');
  assert.equal(plan.etcDir, '/etc/csync2');
  assert.deepEqual(plan.daemonArgs, ['-N', 'node2', '--mode', 'thread']);
  assert.deepEqual(plan.dirs, ['/data', '/var/tmp/csync2']);
  const config = renderClusterConfig(plan.config);
  assert.match(config, /^tempdir \/var\/tmp\/csync2;$/m);
  assert.match(config, /^ {2}host node1 node2;$/m);
  assert.match(config, /^ {2}key \/etc\/csync2\/csync2\.key;$/m);
  assert.match(config, /^ {2}on node1: \/data;\n {2}on node2: \/data;$/m);
});

test('arguments win over the environment; --dir fills entries without a directory; (host) is read-only', () => {
  const plan = planNodeEntry(
    ['--nodes', 'a (b):/srv/b', '--dir', '/srv/a', '--etc', '/x', '--key', '/k/key', '--exclude', '*.swp', '--exclude', '*.tmp'],
    { INOTIFY_CSYNC_NODES: 'ignored', INOTIFY_CSYNC_NODE: 'a' },
    'a',
  );
  assert.deepEqual(plan.config.nodes, [
    { host: 'a', dir: '/srv/a', readOnly: false },
    { host: 'b', dir: '/srv/b', readOnly: true },
  ]);
  assert.equal(plan.config.keyFile, '/k/key');
  assert.deepEqual(plan.config.excludes, ['*.swp', '*.tmp']);
  assert.equal(plan.config.tempdir, undefined);
  assert.deepEqual(plan.daemonArgs, ['-N', 'a']);
});

test('the host name is this node when none is given', () => {
  assert.equal(planNodeEntry(['--nodes', 'web1,web2'], {}, 'web2').host, 'web2');
});

test('wrong values are usage errors (exit 2) that name the value', () => {
  const cases: Array<[string[], RegExp]> = [
    [[], /no cluster nodes/],
    [['--nodes', 'a,b', '--node', 'c'], /this node 'c' is not in the cluster nodes 'a,b'/],
    [['--nodes', 'a:data'], /directory 'data' must be an absolute path/],
    [['--nodes', 'a', '--node', 'a', '--etc', 'etc'], /--etc 'etc' must be an absolute path/],
    [['--nodes', 'a;b'], /'a;b' is not a csync2 host name/],
    [['--mode', 'thread'], /Unknown option '--mode'.*after --/],
  ];
  for (const [argv, message] of cases) {
    assert.throws(() => planNodeEntry(argv, {}, 'a'), (error: unknown) => error instanceof UsageError && error.exitCode === 2 && message.test(error.message));
  }
});

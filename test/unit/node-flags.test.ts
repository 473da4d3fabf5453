import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import { DAEMON_ENV, DAEMON_NODE_FLAGS, DAEMON_SHEBANG, withoutDaemonEnv } from '../../src/process/node-flags.js';

test('the installed command starts node with the daemon options of node-flags.ts', async () => {
  const first = (await readFile(new URL('../../bin/inotify-csync.js', import.meta.url), 'utf8')).split('\n')[0];
  assert.equal(first, DAEMON_SHEBANG);
  assert.ok(DAEMON_NODE_FLAGS.includes('--jitless'));
});

test('the shebang fits the 127 bytes that kernels before 5.1 read of it', () => {
  assert.ok(Buffer.byteLength(DAEMON_SHEBANG) <= 127, `${Buffer.byteLength(DAEMON_SHEBANG)} bytes: ${DAEMON_SHEBANG}`);
});

test("the shebang's environment is kept from the children, unless an admin set another value", () => {
  const [name, value] = Object.entries(DAEMON_ENV)[0] as [string, string];
  const env: NodeJS.ProcessEnv = { PATH: '/usr/bin', [name]: value };
  withoutDaemonEnv(env);
  assert.deepEqual(env, { PATH: '/usr/bin' });
  const chosen: NodeJS.ProcessEnv = { [name]: '0' };
  withoutDaemonEnv(chosen);
  assert.deepEqual(chosen, { [name]: '0' });
});

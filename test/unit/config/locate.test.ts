import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { ConfigError } from '../../../src/errors.js';
import { configFileName, locateCsync2Config, readCsync2Config } from '../../../src/config/index.js';

test('--config wins over everything', () => {
  assert.equal(locateCsync2Config({ config: '/x/my.cfg', configName: 'a', env: { CSYNC2_SYSTEM_DIR: '/s' } }), '/x/my.cfg');
});

test('CSYNC2_SYSTEM_DIR, with -C name', () => {
  assert.equal(locateCsync2Config({ env: { CSYNC2_SYSTEM_DIR: '/s' } }), '/s/csync2.cfg');
  assert.equal(locateCsync2Config({ configName: 'web', env: { CSYNC2_SYSTEM_DIR: '/s' } }), '/s/csync2_web.cfg');
});

test('without CSYNC2_SYSTEM_DIR: /etc/csync2 first, then /etc', () => {
  const only = (file: string) => (f: string) => f === file;
  assert.equal(locateCsync2Config({ env: {}, exists: only('/etc/csync2.cfg') }), '/etc/csync2.cfg');
  assert.equal(locateCsync2Config({ env: {}, exists: only('/etc/csync2/csync2.cfg') }), '/etc/csync2/csync2.cfg');
  assert.equal(locateCsync2Config({ env: {}, exists: () => false }), '/etc/csync2/csync2.cfg');
});

test('-C names are [a-z0-9]+ as in csync2 2.x', () => {
  assert.equal(configFileName('db1'), 'csync2_db1.cfg');
  assert.throws(() => configFileName('../x'), { message: "invalid csync2 config name '../x': csync2 accepts only [a-z0-9]+ after -C" });
});

test('readCsync2Config: missing file names the path and the fix', async () => {
  await assert.rejects(readCsync2Config('/nonexistent/csync2.cfg'), (error: unknown) => {
    assert.ok(error instanceof ConfigError);
    assert.equal(error.message, 'csync2 configuration not found: /nonexistent/csync2.cfg (set --config or CSYNC2_SYSTEM_DIR)');
    return true;
  });
});

test('readCsync2Config follows config includes relative to the working directory, as csync2 does', async () => {
  const dir = await mkdtemp(path.join(tmpdir(), 'cfg-locate-'));
  try {
    await mkdir(path.join(dir, 'etc'));
    await mkdir(path.join(dir, 'cwd', 'parts'), { recursive: true });
    await writeFile(path.join(dir, 'etc', 'csync2.cfg'), 'config parts/a.cfg;\ngroup main { host n1; key /k; include /main; }\n');
    await writeFile(path.join(dir, 'cwd', 'parts', 'a.cfg'), `config ${path.join(dir, 'cwd', 'b.cfg')};\ngroup a { host n1; key /k; include /a; }\n`);
    await writeFile(path.join(dir, 'cwd', 'b.cfg'), 'group b { host n1; key /k; include /b; }\n');
    const config = await readCsync2Config(path.join(dir, 'etc', 'csync2.cfg'), { cwd: path.join(dir, 'cwd') });
    assert.deepEqual(config.groups.map((g) => g.name), ['b', 'a', 'main']);
    assert.deepEqual(config.includedFiles, [path.join(dir, 'cwd', 'parts', 'a.cfg'), path.join(dir, 'cwd', 'b.cfg')]);

    await assert.rejects(readCsync2Config(path.join(dir, 'etc', 'csync2.cfg'), { cwd: path.join(dir, 'etc') }), {
      message: `included csync2 configuration not found: ${path.join(dir, 'etc', 'parts', 'a.cfg')} (named by 'config parts/a.cfg;' in ${path.join(dir, 'etc', 'csync2.cfg')}; csync2 resolves relative names against its working directory ${path.join(dir, 'etc')})`,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

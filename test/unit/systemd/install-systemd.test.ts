import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../../src/cli/cli.js';
import type { CommandIo } from '../../../src/cli/commands/command-io.js';
import { UsageError } from '../../../src/errors.js';
import { protectSystemFor, quoteUnitWord, renderUnit } from '../../../src/systemd/unit-file.js';
import { SHIPPED_UNITS } from '../../../src/systemd/unit-templates.js';

/** `inotify-csync install-systemd ARGS`, parsed as the command line parses it. */
const installSystemd = (args: string[], io: CommandIo): Promise<number | undefined> => runCli(['install-systemd', ...args], io);

function captureIo(): CommandIo & { out: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += String(chunk);
      done();
    },
  });
  return { stdout: stream, stderr: stream, env: { PATH: process.env.PATH }, out: () => text };
}

const lines = (unit: string, key: string): string[] => unit.split('\n').filter((line) => line.startsWith(`${key}=`));

describe('unit file rendering', () => {
  // systemd/ is generated from src/systemd/unit-templates.ts: this guards that someone regenerated it.
  test('the shipped systemd/ files are the embedded units', async () => {
    for (const [name, text] of Object.entries(SHIPPED_UNITS)) {
      assert.equal(await readFile(new URL(`../../../systemd/${name}`, import.meta.url), 'utf8'), text, `systemd/${name} differs from src/systemd/unit-templates.ts: run npm run build to regenerate it (edit the TypeScript, not the file)`);
    }
  });

  test('ExecStart words are quoted and escaped as systemd reads them', () => {
    assert.equal(quoteUnitWord('/usr/bin/node'), '/usr/bin/node');
    assert.equal(quoteUnitWord('/srv/with space'), '"/srv/with space"');
    assert.equal(quoteUnitWord('100%'), '100%%');
    assert.equal(quoteUnitWord('%i', true), '%i');
    assert.equal(quoteUnitWord('$HOME'), '$$HOME');
    assert.equal(quoteUnitWord('a"b'), '"a\\"b"');
  });

  test('ProtectSystem= follows the include roots', () => {
    assert.equal(protectSystemFor(['/srv/www']), 'full');
    assert.equal(protectSystemFor(['/srv/www', '/etc/haproxy']), 'true');
    assert.equal(protectSystemFor(['/usr/local/share/x']), undefined);
    assert.equal(protectSystemFor(['/']), undefined);
    assert.equal(protectSystemFor(['/etc']), 'true');
    assert.equal(protectSystemFor(['/etcetera', '/usrdata']), 'full', 'a sibling sharing the name\'s start is not under it');
  });

  test('only the lines that differ change', () => {
    const template = 'Description=x for host host1\n#RequiresMountsFor=/a /b\nExecStart=/usr/local/bin/inotify-csync -N host1\nProtectSystem=true\n# comment\n';
    const unit = renderUnit(template, { execStart: ['/opt/bin/inotify-csync', '-N', 'web-1'], host: 'web-1', mounts: ['/srv/www', '/srv/my files'] });
    assert.equal(unit, 'Description=x for host web-1\nRequiresMountsFor=/srv/www "/srv/my files"\nExecStart=/opt/bin/inotify-csync -N web-1\nProtectSystem=full\n# comment\n');
    assert.equal(renderUnit(template, { execStart: ['/x'] }).split('\n')[1], '#RequiresMountsFor=/a /b', 'unknown mounts stay a comment');
  });
});

describe('inotify-csync install-systemd', () => {
  let dir: string;
  let config: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'inotify-csync-install-'));
    await mkdir(join(dir, 'data', 'www'), { recursive: true });
    config = join(dir, 'csync2.cfg');
    await writeFile(join(dir, 'csync2.key'), 'x'.repeat(64));
    await writeFile(config, `group web { host host1 host2; key ${join(dir, 'csync2.key')}; include ${join(dir, 'data', 'www')}; include ${join(dir, 'data', 'etc')}/*.conf; }\n`);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  test('--instance writes the template unit with %i, the mounts from csync2.cfg and the enable line', async () => {
    const unitDir = join(dir, 'units-a');
    const io = captureIo();
    const code = await installSystemd(['--instance', '-N', 'host1', '-D', '/var/lib/csync2', '--unit-dir', unitDir, '--config', config, '--exec', '/usr/local/bin/inotify-csync', '--no-reload', '--', '--mode', 'thread'], io);
    assert.equal(code, 0, io.out());
    const unit = await readFile(join(unitDir, 'inotify-csync@.service'), 'utf8');
    assert.deepEqual(lines(unit, 'ExecStart'), [`ExecStart=/usr/local/bin/inotify-csync -N %i -D /var/lib/csync2 --config ${config} --mode thread`]);
    const [mounts] = lines(unit, 'RequiresMountsFor');
    assert.deepEqual(mounts?.slice('RequiresMountsFor='.length).split(' ').sort(), [join(dir, 'data', 'etc'), join(dir, 'data', 'www')]);
    assert.deepEqual(lines(unit, 'Type'), ['Type=notify']);
    assert.deepEqual(lines(unit, 'NotifyAccess'), ['NotifyAccess=all']);
    assert.deepEqual(lines(unit, 'WatchdogSec'), ['WatchdogSec=60']);
    assert.deepEqual(lines(unit, 'KillMode'), ['KillMode=mixed']);
    assert.deepEqual(lines(unit, 'ProtectSystem'), ['ProtectSystem=full']);
    assert.match(unit, /^# Written by inotify-csync \S+ install-systemd\./);
    assert.match(io.out(), /wrote .*inotify-csync@\.service/);
    assert.match(io.out(), /systemctl enable --now inotify-csync@host1\.service/);
  });

  test('the plain unit names the host; an unreadable csync2.cfg leaves RequiresMountsFor= commented', async () => {
    const unitDir = join(dir, 'units-b');
    const io = captureIo();
    const code = await installSystemd(['-N', 'host9', '--unit-dir', unitDir, '--config', join(dir, 'missing.cfg'), '--no-reload'], io);
    assert.equal(code, 0, io.out());
    const unit = await readFile(join(unitDir, 'inotify-csync.service'), 'utf8');
    const [execStart] = lines(unit, 'ExecStart');
    assert.match(execStart ?? '', /^ExecStart=\/\S+ .*-N host9 --config \S+missing\.cfg$/);
    assert.match(unit, /^Description=.* for host host9$/m);
    assert.deepEqual(lines(unit, 'RequiresMountsFor'), []);
    assert.match(unit, /^#RequiresMountsFor=/m);
    assert.deepEqual(lines(unit, 'ProtectSystem'), ['ProtectSystem=true']);
    assert.match(io.out(), /RequiresMountsFor= is left as a comment/);
    assert.match(io.out(), /systemctl enable --now inotify-csync\.service/);
  });

  test('a second run replaces the unit', async () => {
    const unitDir = join(dir, 'units-c');
    const args = ['-N', 'host1', '--unit-dir', unitDir, '--config', config, '--exec', '/x', '--no-reload'];
    await installSystemd(args, captureIo());
    const io = captureIo();
    await installSystemd(args, io);
    assert.match(io.out(), /^replaced /);
  });

  test('usage errors', async () => {
    await assert.rejects(installSystemd(['--bogus'], captureIo()), new UsageError('install-systemd: unknown option --bogus: see install-systemd --help'));
    await assert.rejects(installSystemd(['--unit-dir'], captureIo()), new UsageError('install-systemd: --unit-dir needs a value: see install-systemd --help'));
    await assert.rejects(installSystemd(['extra'], captureIo()), new UsageError("install-systemd: unexpected argument 'extra': see install-systemd --help"));
    await assert.rejects(installSystemd(['-N', 'a b'], captureIo()), /systemd unit name/);
  });
});

import assert from 'node:assert/strict';
import { lstat, mkdir, mkdtemp, readdir, readFile, readlink, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { runCli } from '../../../src/cli/cli.js';
import type { CommandIo } from '../../../src/cli/commands/command-io.js';
import { EnvironmentError, UsageError } from '../../../src/errors.js';
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
    // csync2's port: the socket unit systemd holds it in, pulled in and enabled with the service.
    assert.deepEqual(lines(unit, 'Wants').filter((line) => line.endsWith('.socket')), ['Wants=inotify-csync@%i.socket']);
    assert.deepEqual(lines(unit, 'After').filter((line) => line.endsWith('.socket')), ['After=inotify-csync@%i.socket']);
    assert.deepEqual(lines(unit, 'Also'), ['Also=inotify-csync@%i.socket']);
    const socket = await readFile(join(unitDir, 'inotify-csync@.socket'), 'utf8');
    assert.deepEqual(lines(socket, 'ListenStream'), ['ListenStream=30865']);
    assert.deepEqual(lines(socket, 'FileDescriptorName'), ['FileDescriptorName=csync2']);
    assert.match(io.out(), /wrote .*inotify-csync@\.socket/);
    assert.match(io.out(), /systemctl stop inotify-csync@host1\.socket inotify-csync@host1\.service/);
  });

  test('-p sets the socket\'s port; --no-server writes no socket unit and the service asks for none', async () => {
    const unitDir = join(dir, 'units-port');
    assert.equal(await installSystemd(['-N', 'host1', '-p', '30999', '--unit-dir', unitDir, '--config', config, '--exec', '/x', '--no-reload'], captureIo()), 0);
    assert.deepEqual(lines(await readFile(join(unitDir, 'inotify-csync.socket'), 'utf8'), 'ListenStream'), ['ListenStream=30999']);
    assert.match(await readFile(join(unitDir, 'inotify-csync.socket'), 'utf8'), /^Description=.* for host host1$/m);
    const bare = join(dir, 'units-no-server');
    assert.equal(await installSystemd(['-N', 'host1', '--unit-dir', bare, '--config', config, '--exec', '/x', '--no-reload', '--', '--no-server'], captureIo()), 0);
    assert.deepEqual(await readdir(bare), ['inotify-csync.service']);
    const unit = await readFile(join(bare, 'inotify-csync.service'), 'utf8');
    assert.deepEqual([...lines(unit, 'Wants'), ...lines(unit, 'After')].filter((line) => line.includes('.socket')), []);
    assert.deepEqual(lines(unit, 'Also'), []);
    await assert.rejects(installSystemd(['-N', 'host1', '-p', 'csync', '--unit-dir', bare, '--no-reload'], captureIo()), new UsageError("install-systemd: -p csync: expected csync2's port number (e.g. -p 30865)"));
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

  test('the same unit again is left alone; a different one is refused without --force, and kept as a backup with it', async () => {
    const unitDir = join(dir, 'units-c');
    const target = join(unitDir, 'inotify-csync.service');
    const args = ['-N', 'host1', '--unit-dir', unitDir, '--config', config, '--exec', '/x', '--no-reload'];
    await installSystemd(args, captureIo());
    const first = await readFile(target, 'utf8');
    const again = captureIo();
    assert.equal(await installSystemd(args, again), 0);
    assert.match(again.out(), /^unchanged .*inotify-csync\.service\nunchanged .*inotify-csync\.socket\n/);

    // Other options make another unit: the one there is the admin's until --force.
    const other = [...args, '--', '--mode', 'thread'];
    await assert.rejects(installSystemd(other, captureIo()), new EnvironmentError(`${target} exists with other content: left as it is; run install-systemd again with --force to replace it (the old one is kept as ${target}.bak-TIMESTAMP)`));
    assert.equal(await readFile(target, 'utf8'), first);
    const forced = captureIo();
    assert.equal(await installSystemd([...args, '--force', '--', '--mode', 'thread'], forced), 0);
    const backup = /\(the previous one is kept as (\S+\.bak-\d{8}T\d{6}Z)\)/.exec(forced.out())?.[1] ?? assert.fail(forced.out());
    assert.equal(backup.startsWith(`${target}.bak-`), true);
    assert.equal(await readFile(backup, 'utf8'), first, 'the backup holds the replaced unit');
    assert.match(await readFile(target, 'utf8'), /--mode thread$/m);
    assert.match(forced.out(), /unchanged .*inotify-csync\.socket/, 'the socket unit did not change');
  });

  test('a foreign unit is refused, and the service unit is not written either when the socket unit is refused', async () => {
    const unitDir = join(dir, 'units-foreign');
    await mkdir(unitDir, { recursive: true });
    await writeFile(join(unitDir, 'inotify-csync@.socket'), '[Socket]\nListenStream=1234\n');
    await assert.rejects(installSystemd(['--instance', '-N', 'host1', '--unit-dir', unitDir, '--exec', '/x', '--no-reload'], captureIo()), /inotify-csync@\.socket exists with other content: left as it is; run install-systemd again with --force/);
    assert.deepEqual(await readdir(unitDir), ['inotify-csync@.socket'], 'nothing written');
    assert.equal(await readFile(join(unitDir, 'inotify-csync@.socket'), 'utf8'), '[Socket]\nListenStream=1234\n');
  });

  test('a symbolic link at the unit\'s path is never written through: refused, and with --force the link itself is the backup', async () => {
    const unitDir = join(dir, 'units-link');
    const elsewhere = join(dir, 'elsewhere.service');
    await mkdir(unitDir, { recursive: true });
    await writeFile(elsewhere, 'not to be touched\n');
    const target = join(unitDir, 'inotify-csync.service');
    await symlink(elsewhere, target);
    const args = ['-N', 'host1', '--unit-dir', unitDir, '--config', config, '--exec', '/x', '--no-reload'];
    await assert.rejects(installSystemd(args, captureIo()), new EnvironmentError(`${target} is a symbolic link to ${elsewhere} (systemctl mask or link made it?), not followed: left as it is; run install-systemd again with --force to replace it (the old one is kept as ${target}.bak-TIMESTAMP)`));
    const forced = captureIo();
    assert.equal(await installSystemd([...args, '--force'], forced), 0);
    assert.equal(await readFile(elsewhere, 'utf8'), 'not to be touched\n');
    assert.equal((await lstat(target)).isFile(), true, 'a file now, not the link');
    const backup = /kept as (\S+)\)/.exec(forced.out())?.[1] ?? assert.fail(forced.out());
    assert.equal(await readlink(backup), elsewhere, 'the link was kept as the backup');
    // A dangling link (systemctl mask points at /dev/null; here at nothing) is not created through either.
    const dangling = join(dir, 'units-dangling');
    await mkdir(dangling, { recursive: true });
    await symlink(join(dir, 'nowhere.service'), join(dangling, 'inotify-csync.service'));
    await assert.rejects(installSystemd(['-N', 'host1', '--unit-dir', dangling, '--exec', '/x', '--no-reload'], captureIo()), /is a symbolic link to .*nowhere\.service .*not followed/);
    await assert.rejects(readFile(join(dir, 'nowhere.service')), { code: 'ENOENT' });
  });

  test('a control character in an argument, a path or an include root: refused naming it, nothing written', async () => {
    const unitDir = join(dir, 'units-control');
    const base = ['-N', 'host1', '--unit-dir', unitDir, '--config', config, '--exec', '/x', '--no-reload'];
    const cases: Array<[string[], string]> = [
      [[...base, '--', '--queue-file', '/q\nExecStartPre=/bin/sh -c id'], 'install-systemd: daemon option "/q\\nExecStartPre=/bin/sh -c id" holds a control character (\\n), which would change the unit file\'s lines: nothing written; rename it or leave it out'],
      [[...base, '-D', '/var/lib/csync2\r'], 'install-systemd: csync2 option "/var/lib/csync2\\r" holds a control character (\\r)'],
      [['-N', 'host1', '--unit-dir', unitDir, '--config', config, '--exec', '/usr/bin/inotify\tcsync', '--no-reload'], 'install-systemd: --exec "/usr/bin/inotify\\tcsync" holds a control character (\\t)'],
      [['-N', 'host1', '--unit-dir', unitDir, '--config', `${config}\u001b`, '--exec', '/x', '--no-reload'], `install-systemd: --config ${JSON.stringify(`${config}\u001b`)} holds a control character (\\x1b)`],
      [['-N', 'host1', '--unit-dir', `${unitDir}\n`, '--exec', '/x', '--no-reload'], `install-systemd: --unit-dir ${JSON.stringify(`${unitDir}\n`)} holds a control character (\\n)`],
    ];
    for (const [args, message] of cases) {
      await assert.rejects(installSystemd(args, captureIo()), (error: Error) => {
        assert.ok(error instanceof UsageError, String(error));
        assert.equal(error.message.startsWith(message), true, `${error.message}\n  expected to start with\n${message}`);
        assert.equal(error.message.includes('\n'), false, 'one line');
        return true;
      });
    }
    // An include root of csync2.cfg (a quoted path may hold a line break).
    const odd = join(dir, 'odd.cfg');
    await writeFile(odd, `group web { host host1 host2; key ${join(dir, 'csync2.key')}; include "/srv/a\nRequiresMountsFor=/x"; }\n`);
    await assert.rejects(installSystemd(['-N', 'host1', '--unit-dir', unitDir, '--config', odd, '--exec', '/x', '--no-reload'], captureIo()), new UsageError('install-systemd: the include root "/srv/a\\nRequiresMountsFor=/x" holds a control character (\\n), which would change the unit file\'s lines: nothing written; rename it or leave it out'));
    await assert.rejects(readdir(unitDir), { code: 'ENOENT' }, 'nothing written');
  });

  test('a database password in -D: refused, since unit files are world-readable; nothing written', async () => {
    const unitDir = join(dir, 'units-password');
    await assert.rejects(
      installSystemd(['-N', 'host1', '--unit-dir', unitDir, '--config', config, '--exec', '/x', '--no-reload', '-D', 'pgsql://csync2:s3cret@127.0.0.1/'], captureIo()),
      new UsageError("install-systemd: -D pgsql://csync2:***@127.0.0.1/ holds a password, and unit files are world-readable: nothing written; put it in root's ~/.pgpass (127.0.0.1:5432:*:csync2:PASSWORD, mode 0600) and pass -D pgsql://csync2@127.0.0.1/"),
    );
    await assert.rejects(readdir(unitDir), { code: 'ENOENT' }, 'nothing written');
  });

  test('usage errors', async () => {
    await assert.rejects(installSystemd(['--bogus'], captureIo()), new UsageError('install-systemd: unknown option --bogus: see install-systemd --help'));
    await assert.rejects(installSystemd(['--unit-dir'], captureIo()), new UsageError('install-systemd: --unit-dir needs a value: see install-systemd --help'));
    await assert.rejects(installSystemd(['extra'], captureIo()), new UsageError("install-systemd: unexpected argument 'extra': see install-systemd --help"));
    await assert.rejects(installSystemd(['-N', 'a b'], captureIo()), /systemd unit name/);
  });
});

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InotifyCsyncError } from '../../../src/errors.js';
import { csync2ListenFd, takeListenFds } from '../../../src/systemd/listen-fds.js';

describe('sockets passed by systemd (sd_listen_fds)', () => {
  test('LISTEN_PID of this process: LISTEN_FDS sockets from fd 3, with their names; the variables are gone after', () => {
    const env: NodeJS.ProcessEnv = { LISTEN_PID: '4242', LISTEN_FDS: '2', LISTEN_FDNAMES: 'csync2:other', PATH: '/bin' };
    assert.deepEqual(takeListenFds(env, 4242), [{ fd: 3, name: 'csync2' }, { fd: 4, name: 'other' }]);
    assert.deepEqual(env, { PATH: '/bin' }, 'children must not see LISTEN_*');
  });

  test('LISTEN_PID of another process (meant for a parent): none, and the variables are still removed', () => {
    const env: NodeJS.ProcessEnv = { LISTEN_PID: '4241', LISTEN_FDS: '1', LISTEN_FDNAMES: 'csync2' };
    assert.deepEqual(takeListenFds(env, 4242), []);
    assert.deepEqual(env, {});
  });

  test('no LISTEN_PID: none (the daemon binds the port itself)', () => {
    assert.deepEqual(takeListenFds({ LISTEN_FDS: '1' }, 4242), []);
    assert.deepEqual(takeListenFds({}, 4242), []);
  });

  test('without LISTEN_FDNAMES, or a count that does not match, the names are "unknown"', () => {
    assert.deepEqual(takeListenFds({ LISTEN_PID: '7', LISTEN_FDS: '1' }, 7), [{ fd: 3, name: 'unknown' }]);
    assert.deepEqual(takeListenFds({ LISTEN_PID: '7', LISTEN_FDS: '2', LISTEN_FDNAMES: 'a' }, 7), [{ fd: 3, name: 'unknown' }, { fd: 4, name: 'unknown' }]);
    assert.deepEqual(takeListenFds({ LISTEN_PID: '7', LISTEN_FDS: '0' }, 7), []);
  });

  test('malformed values: one-line errors naming the variable', () => {
    assert.throws(() => takeListenFds({ LISTEN_PID: '7', LISTEN_FDS: 'x' }, 7), new InotifyCsyncError('LISTEN_FDS=x is not a number of sockets: start inotify-csync from its systemd socket unit, or without LISTEN_PID and LISTEN_FDS'));
    assert.throws(() => takeListenFds({ LISTEN_PID: '7' }, 7), /^InotifyCsyncError: LISTEN_FDS= is not a number/);
    assert.throws(() => takeListenFds({ LISTEN_PID: 'me', LISTEN_FDS: '1' }, 7), /LISTEN_PID=me is not a process ID/);
  });

  test('csync2 is served on the one socket; several are refused, none means binding the port', () => {
    assert.equal(csync2ListenFd([]), undefined);
    assert.equal(csync2ListenFd([{ fd: 3, name: 'csync2' }]), 3);
    assert.throws(() => csync2ListenFd([{ fd: 3, name: 'csync2' }, { fd: 4, name: 'csync2' }]), /^InotifyCsyncError: systemd passed 2 sockets \(fd 3 csync2, fd 4 csync2\); inotify-csync serves one: keep a single ListenStream=/);
  });
});

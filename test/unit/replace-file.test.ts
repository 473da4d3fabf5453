import assert from 'node:assert/strict';
import { lstatSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { test } from 'node:test';
import { replaceFile } from '../../src/status/replace-file.js';

test('replaceFile writes under a random name, 0600 until complete, then renames and gives the final mode', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'replace-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'status.json');
  const seen: Array<{ name: string; mode: number; link: boolean }> = [];
  const look = (temporary: string): void => {
    const stats = lstatSync(temporary);
    seen.push({ name: basename(temporary), mode: stats.mode & 0o777, link: stats.isSymbolicLink() });
  };
  replaceFile(path, 'one\n', { mode: 0o644, beforeRename: look });
  replaceFile(path, 'two\n', { mode: 0o644, beforeRename: look });
  assert.equal(readFileSync(path, 'utf8'), 'two\n');
  assert.equal(statSync(path).mode & 0o777, 0o644);
  assert.deepEqual(readdirSync(dir), ['status.json'], 'no temporary file is left');
  const [first, second] = seen;
  assert.ok(first && second);
  assert.match(first.name, /^status\.json\.[0-9a-f]{16}\.tmp$/);
  assert.notEqual(first.name, second.name, 'each write picks a new name');
  assert.ok(!first.name.includes(String(process.pid)), 'the name does not follow from the PID');
});

test('replaceFile keeps the temporary file 0600 when no mode is given, and removes it when the rename fails', (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'replace-file-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  let mode = 0;
  replaceFile(join(dir, 'private'), 'x', { beforeRename: (temporary) => (mode = lstatSync(temporary).mode & 0o777) });
  assert.equal(mode, 0o600);
  assert.equal(statSync(join(dir, 'private')).mode & 0o777, 0o600);
  // A rename onto a non-empty directory fails.
  assert.throws(() => replaceFile(dir, 'x'), { code: /^(EISDIR|ENOTEMPTY|EEXIST|EBUSY)$/ });
  assert.deepEqual(readdirSync(dir), ['private']);
});

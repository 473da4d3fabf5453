import assert from 'node:assert/strict';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { ChildProcesses } from '../../src/process/child-processes.js';
import { probeCsync2 } from '../../src/sync/csync2-capabilities.js';

// A fake csync2 that hangs (first on PATH): the real one cannot be made to hang on demand.
const bin = mkdtempSync(join(tmpdir(), 'inotify-csync-fakebin-'));
writeFileSync(join(bin, 'csync2'), '#!/bin/sh\nexec sleep 60\n');
chmodSync(join(bin, 'csync2'), 0o755);
const savedPath = process.env.PATH;
after(() => {
  process.env.PATH = savedPath;
  rmSync(bin, { recursive: true, force: true });
});

test('a csync2 that never answers the capability probe is ended, and start-up fails naming csync2', async () => {
  process.env.PATH = `${bin}:${savedPath ?? ''}`;
  const children = new ChildProcesses();
  const started = Date.now();
  await assert.rejects(
    probeCsync2({ children, timeoutMs: 300 }),
    /^EnvironmentError: csync2 did not answer 'csync2 --help' within 0\.3 s and was ended: check the csync2 binary on PATH/,
  );
  assert.ok(Date.now() - started < 3000, `failed after ${Date.now() - started} ms`);
  assert.equal(children.count, 0, 'the probe was a tracked child and is gone');
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { cac } from 'cac';
import { CustomEventShim } from '../../src/cli/custom-event.js';

// Node 20 has CustomEvent: put the shim in its place, as it is on Node 18 (scripts/test-distro-node.sh runs the real one).
test('cac parses commands with the CustomEvent shim that Node 18 gets', () => {
  const scope = globalThis as { CustomEvent?: unknown };
  const native = scope.CustomEvent;
  scope.CustomEvent = CustomEventShim;
  try {
    const cli = cac('x');
    let ran = '';
    cli.command('status', '').action(() => { ran = 'status'; });
    cli.parse(['node', 'x', 'status']);
    assert.equal(ran, 'status');
    const other = cac('x');
    const seen: unknown[] = [];
    other.addEventListener('command:*', (event) => seen.push((event as CustomEventShim<string>).detail));
    other.parse(['node', 'x', 'bogus'], { run: false });
    assert.deepEqual(seen, ['bogus']);
  } finally {
    scope.CustomEvent = native;
  }
});

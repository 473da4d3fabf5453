import assert from 'node:assert/strict';
import { test } from 'node:test';
import { childrenOf, cpuTicks, memoryOf, statusKb } from '../../bench/lib/proc.js';
import { markdownTable, textTable, verdict } from '../../bench/lib/report.js';
import { percentile, summarize } from '../../bench/lib/stats.js';
import { csync2Times } from '../../bench/lib/churn-csync2-times.js';

test('percentiles are nearest-rank, so every figure is a measured value', () => {
  const values = Array.from({ length: 40 }, (_, i) => i + 1);
  assert.equal(percentile(values, 50), 20);
  assert.equal(percentile(values, 90), 36);
  assert.equal(percentile(values, 99), 40);
  assert.deepEqual(summarize([5]), { n: 1, p50: 5, p90: 5, p99: 5, max: 5, mean: 5 });
  assert.ok(Number.isNaN(percentile([], 50)));
});

test('a row meets its target or not, and its ratio is ours over the baseline', () => {
  assert.equal(verdict({ figure: 'p50', unit: 'ms', value: 90, target: { op: '<=', value: 120 }, baseline: 900 }).met, true);
  assert.equal(verdict({ figure: 'p50', unit: 'ms', value: 90, target: { op: '<=', value: 120 }, baseline: 900 }).ratio, 0.1);
  assert.equal(verdict({ figure: 'rate', unit: 'rec/s', value: 100, target: { op: '>=', value: 200 } }).met, false);
  assert.equal(verdict({ figure: 'burst', unit: 'ms', value: undefined, target: { op: '<=', value: 1 } }).met, false);
  assert.equal(verdict({ figure: 'info', unit: 'ms', value: 3 }).met, undefined);
});

test('tables show every row with its target, baseline and ratio', () => {
  const rows = [verdict({ figure: 'latency p50', unit: 'ms', value: 42.5, target: { op: '<=', value: 120 }, baseline: 690 })];
  const text = textTable(rows);
  assert.match(text, /latency p50\s+42\.5 ms\s+<= 120 ms\s+met\s+690 ms\s+0\.062×/);
  const md = markdownTable(rows).split('\n');
  assert.equal(md.length, 3);
  assert.equal(md[2], '| latency p50 | 42.5 ms | <= 120 ms | met | 690 ms | 0.062× |');
});

test('/proc readers see this process', () => {
  assert.ok((statusKb(process.pid, 'VmRSS') ?? 0) > 1000);
  assert.ok((cpuTicks(process.pid)?.self ?? -1) >= 0);
  assert.ok(Array.isArray(childrenOf(process.pid)));
  assert.ok(memoryOf(process.pid).selfKb > 0);
  assert.equal(statusKb(2 ** 30, 'VmRSS'), undefined);
});

test("the churn report reads csync2's time from the daemon's debug lines", () => {
  const times = csync2Times([
    [
      '[sync] csync2 -c -r: ok in 120 ms after 40 ms at the gate',
      '[sync] csync2 -u -P 127.0.0.3: ok in 900 ms after 10 ms at the gate',
      '[sync] csync2 -u -P 127.0.0.4: timeout in 5000 ms',
      '[server] SERVER: session from 127.0.0.3:4411 done in 300 ms after 700 ms at the gate',
      '[sync] csync2 -M: ok in 5 ms',
    ],
    ['[sync] csync2 -m: ok in 30 ms after 0 ms at the gate', '[sync] BATCH: starts 480 ms after its oldest record', '[sync] BATCH: starts 20 ms after its oldest record'],
  ]);
  assert.equal(times.batchWaitMs?.n, 2);
  assert.equal(times.batchWaitMs?.max, 480);
  assert.equal(times.checks.count, 2);
  assert.equal(times.checks.runMs.max, 120);
  assert.equal(times.updates.count, 2);
  assert.equal(times.updates.gateMs.max, 10);
  assert.equal(times.sessions.count, 1);
  assert.equal(times.sessions.gateMs.p50, 700);
});

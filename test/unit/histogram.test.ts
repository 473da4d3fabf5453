import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Histogram } from '../../src/metrics/histogram.js';

test('counts are cumulative per upper bound, a value on a bound counts in it, +Inf is the total', () => {
  const histogram = new Histogram([0.1, 1, 2]);
  for (const seconds of [0.05, 0.1, 0.5, 1, 1.5, 7]) histogram.observe(seconds);
  assert.deepEqual(histogram.snapshot(), {
    buckets: [
      { le: 0.1, count: 2 },
      { le: 1, count: 4 },
      { le: 2, count: 5 },
    ],
    count: 6,
    sum: 0.05 + 0.1 + 0.5 + 1 + 1.5 + 7,
  });
});

test('an empty histogram has zero everywhere; a negative or non-finite time counts as zero', () => {
  const histogram = new Histogram([1]);
  assert.deepEqual(histogram.snapshot(), { buckets: [{ le: 1, count: 0 }], count: 0, sum: 0 });
  histogram.observe(-0.3);
  histogram.observe(Number.NaN);
  assert.deepEqual(histogram.snapshot(), { buckets: [{ le: 1, count: 2 }], count: 2, sum: 0 });
});

test('bounds that are not increasing are refused', () => {
  assert.throws(() => new Histogram([1, 1]), /increasing/);
  assert.throws(() => new Histogram([]), /increasing/);
  assert.throws(() => new Histogram([1, Number.POSITIVE_INFINITY]), /finite/);
});

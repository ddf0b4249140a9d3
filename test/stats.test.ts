import assert from 'node:assert/strict';
import { test } from 'node:test';
import { holmAdjust, mean, pairedComparison, std } from '../src/eval/stats.ts';

test('mean and sample standard deviation of known values', () => {
  assert.equal(mean([2, 4, 4, 4, 5, 5, 7, 9]), 5);
  assert.ok(Math.abs(std([2, 4, 4, 4, 5, 5, 7, 9]) - 2.138089935) < 1e-9);
  assert.equal(std([3]), 0);
  assert.ok(Number.isNaN(mean([])));
});

test('paired t-test matches a reference computation', () => {
  // Differences 1, 2, 3, 4, 5: mean 3, sd 1.5811, se 0.7071, t = 4.2426 with 4 df.
  // Reference (scipy.stats.ttest_rel): p = 0.013236; 95 % CI 3 ± 2.776445·0.707107 = [1.0368, 4.9632].
  const treatment = [11, 12, 13, 14, 15];
  const control = [10, 10, 10, 10, 10];
  const result = pairedComparison(treatment, control);
  assert.equal(result.n, 5);
  assert.equal(result.meanDiff, 3);
  assert.ok(Math.abs(result.pValue - 0.013236) < 1e-5, `p = ${result.pValue}`);
  assert.ok(Math.abs(result.ciLow - 1.036757) < 1e-5, `low = ${result.ciLow}`);
  assert.ok(Math.abs(result.ciHigh - 4.963243) < 1e-5, `high = ${result.ciHigh}`);
});

test('a symmetric difference has p = 1 and a CI around zero; one pair gives no test', () => {
  const result = pairedComparison([1, 3], [2, 2]);
  assert.equal(result.meanDiff, 0);
  assert.ok(Math.abs(result.pValue - 1) < 1e-12);
  assert.ok(result.ciLow < 0 && result.ciHigh > 0);
  const single = pairedComparison([0.8], [0.7]);
  assert.ok(Number.isNaN(single.pValue));
  assert.ok(Math.abs(single.meanDiff - 0.1) < 1e-12);
  assert.throws(() => pairedComparison([1, 2], [1]), /2 treatment values but 1 control/);
});

test('Holm–Bonferroni: known adjusted p-values, monotone, capped at 1, NaN left out of the count', () => {
  // m = 4: sorted 0.01, 0.02, 0.03, 0.5 → 0.04, 0.06, 0.06 (made monotone from 0.06), 0.5
  const adjusted = holmAdjust([0.03, 0.5, 0.01, NaN, 0.02]);
  const expected = [0.06, 0.5, 0.04, NaN, 0.06];
  adjusted.forEach((p, i) => (Number.isNaN(expected[i]) ? assert.ok(Number.isNaN(p)) : assert.ok(Math.abs(p - expected[i]) < 1e-12, `${i}: ${p}`)));
  assert.deepEqual(holmAdjust([0.6, 0.7]), [1, 1]);
  assert.deepEqual(holmAdjust([]), []);
});

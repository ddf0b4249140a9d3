/**
 * Summary statistics for the report: mean, spread, and a paired comparison
 * of two arms that were trained on the same seeds (same split, same labels).
 */
import jstatModule from 'jstat';

const { jStat } = jstatModule as unknown as { jStat: JStatLike };
interface JStatLike {
  studentt: { cdf(t: number, df: number): number; inv(p: number, df: number): number };
}

/** Arithmetic mean; NaN for an empty list. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** Sample standard deviation (n − 1); 0 for a single value, NaN for none. */
export function std(values: readonly number[]): number {
  if (values.length === 0) return NaN;
  if (values.length === 1) return 0;
  const m = mean(values);
  let ss = 0;
  for (const v of values) ss += (v - m) ** 2;
  return Math.sqrt(ss / (values.length - 1));
}

export interface PairedComparison {
  /** Number of pairs (seeds). */
  n: number;
  /** Mean of (treatment − control). */
  meanDiff: number;
  stdDiff: number;
  /** 95 % confidence interval of the mean difference (Student t); NaN bounds with fewer than 2 pairs. */
  ciLow: number;
  ciHigh: number;
  /** Two-sided paired t-test p-value; NaN with fewer than 2 pairs; 1 or 0 when every difference is identical. */
  pValue: number;
}

/**
 * Paired t-test of treatment against control, pair i being the same seed in
 * both arms. Pairing removes the seed-to-seed variation both arms share
 * (split, labeled examples), which is why the report uses it.
 */
export function pairedComparison(treatment: readonly number[], control: readonly number[], confidence = 0.95): PairedComparison {
  if (treatment.length !== control.length) {
    throw new Error(`pairedComparison: ${treatment.length} treatment values but ${control.length} control values`);
  }
  const diffs = treatment.map((t, i) => t - control[i]);
  const n = diffs.length;
  const meanDiff = mean(diffs);
  const stdDiff = std(diffs);
  if (n < 2) return { n, meanDiff, stdDiff, ciLow: NaN, ciHigh: NaN, pValue: NaN };
  const df = n - 1;
  const se = stdDiff / Math.sqrt(n);
  if (se === 0) {
    // Every pair differs by exactly the same amount: no spread to test against.
    return { n, meanDiff, stdDiff, ciLow: meanDiff, ciHigh: meanDiff, pValue: meanDiff === 0 ? 1 : 0 };
  }
  const tCrit = jStat.studentt.inv(1 - (1 - confidence) / 2, df);
  const t = meanDiff / se;
  const pValue = Math.min(1, 2 * jStat.studentt.cdf(-Math.abs(t), df));
  return { n, meanDiff, stdDiff, ciLow: meanDiff - tCrit * se, ciHigh: meanDiff + tCrit * se, pValue };
}

/**
 * Holm–Bonferroni adjusted p-values, in the order given: the k-th smallest of
 * m p-values is multiplied by m − k + 1, capped at 1 and made non-decreasing,
 * so "adjusted p < α" keeps the chance of any false positive among all m
 * tests at α. NaN entries (no test) stay NaN and do not count towards m.
 */
export function holmAdjust(pValues: readonly number[]): number[] {
  const tested = pValues.map((p, i) => ({ p, i })).filter(({ p }) => Number.isFinite(p)).sort((a, b) => a.p - b.p);
  const m = tested.length;
  const out = pValues.map(() => NaN);
  let running = 0;
  tested.forEach(({ p, i }, k) => {
    running = Math.max(running, Math.min(1, (m - k) * p));
    out[i] = running;
  });
  return out;
}

/**
 * Confusion matrices for the report: summed over seeds for one arm at one
 * fraction, and the per-class accuracy (recall) read off them.
 */
import type { ArmName } from '../arms/index.ts';
import type { ConfusionRecord } from './run-record.ts';

/** Element-wise sum of an arm's matrices over seeds at `fraction`; undefined when the run has none. */
export function sumConfusions(records: readonly ConfusionRecord[], fraction: number, arm: ArmName): number[][] | undefined {
  const mine = records.filter((r) => r.fraction === fraction && r.arm === arm);
  if (mine.length === 0) return undefined;
  const k = mine[0].matrix.length;
  const total = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (const r of mine) r.matrix.forEach((row, t) => row.forEach((v, p) => { total[t][p] += v; }));
  return total;
}

/** Per-class accuracy (diagonal / row total) in percent; NaN for a class with no test samples. */
export function perClassAccuracy(matrix: readonly (readonly number[])[]): number[] {
  return matrix.map((row, t) => {
    const n = row.reduce((a, b) => a + b, 0);
    return n === 0 ? NaN : (100 * row[t]) / n;
  });
}

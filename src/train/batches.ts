/**
 * Mini-batches gathered straight from a dataset's typed array: one reusable
 * buffer per batch shape, no per-sample JS arrays.
 */
import type { Rng } from '../util/rng.ts';
import { shuffleInPlace } from '../util/rng.ts';

/** Copy the rows `indices[start..end)` of an N × features matrix into `out` (length ≥ (end−start) × features). */
export function gatherRows(x: Float32Array, features: number, indices: ArrayLike<number>, start: number, end: number, out: Float32Array): Float32Array {
  for (let b = start; b < end; b++) {
    const row = indices[b] * features;
    out.set(x.subarray(row, row + features), (b - start) * features);
  }
  return out.subarray(0, (end - start) * features);
}

/** A fresh seeded permutation of `indices` for one epoch. */
export function epochOrder(indices: Int32Array, rng: Rng): Int32Array {
  return shuffleInPlace(Int32Array.from(indices), rng);
}

/** Zero each value with probability `rate` (masking noise for denoising pretraining), in place. */
export function applyMaskingNoise(values: Float32Array, rate: number, rng: Rng): void {
  if (rate <= 0) return;
  for (let i = 0; i < values.length; i++) if (rng.next() < rate) values[i] = 0;
}

/** One-hot rows for class indices, into `out` (length ≥ count × classCount). */
export function oneHotRows(y: Int32Array, classCount: number, indices: ArrayLike<number>, start: number, end: number, out: Float32Array): Float32Array {
  const rows = out.subarray(0, (end - start) * classCount);
  rows.fill(0);
  for (let b = start; b < end; b++) rows[(b - start) * classCount + y[indices[b]]] = 1;
  return rows;
}

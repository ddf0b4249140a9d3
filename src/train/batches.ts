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

/**
 * Add N(0, sd²) to each value in place (gaussian noise for denoising
 * pretraining); `clip` keeps image pixels in [0, 1]. Box–Muller on the seeded rng.
 */
export function applyGaussianNoise(values: Float32Array, sd: number, rng: Rng, clip: boolean): void {
  if (sd <= 0) return;
  for (let i = 0; i < values.length; i += 2) {
    const radius = sd * Math.sqrt(-2 * Math.log(1 - rng.next()));
    const angle = 2 * Math.PI * rng.next();
    values[i] += radius * Math.cos(angle);
    if (i + 1 < values.length) values[i + 1] += radius * Math.sin(angle);
  }
  if (clip) for (let i = 0; i < values.length; i++) values[i] = Math.min(1, Math.max(0, values[i]));
}

/** One-hot rows for class indices, into `out` (length ≥ count × classCount). */
export function oneHotRows(y: Int32Array, classCount: number, indices: ArrayLike<number>, start: number, end: number, out: Float32Array): Float32Array {
  const rows = out.subarray(0, (end - start) * classCount);
  rows.fill(0);
  for (let b = start; b < end; b++) rows[(b - start) * classCount + y[indices[b]]] = 1;
  return rows;
}

/** At most `count` indices spread evenly over `indices` (deterministic, covers every class). */
export function evenlySpaced(indices: Int32Array, count: number): Int32Array {
  if (indices.length <= count) return indices;
  return Int32Array.from({ length: count }, (_, i) => indices[Math.floor((i * indices.length) / count)]);
}

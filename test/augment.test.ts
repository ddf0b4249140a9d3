import { test } from 'node:test';
import assert from 'node:assert/strict';
import { shiftImages } from '../src/train/batches.ts';
import { createRng, type Rng } from '../src/util/rng.ts';

/** An rng whose int() returns the given values in turn (shiftImages draws dy, then dx, per image). */
function scripted(values: number[]): Rng {
  let k = 0;
  return { next: () => 0, uint32: () => 0, fillInt32: () => {}, int: () => values[k++] };
}

const image = (): Float32Array => Float32Array.from({ length: 12 }, (_, i) => i + 1); // 4 rows × 3 cols

test('shiftImages moves pixels by the drawn offsets and fills what comes in with zeros', () => {
  const batch = new Float32Array(24);
  batch.set(image(), 0);
  batch.set(image(), 12);
  // max shift 1: draws 0..2 mean −1..1. Image 1: down 1, left 1. Image 2: no shift.
  shiftImages(batch, 2, [4, 3, 1], 1, scripted([2, 0, 1, 1]));
  assert.deepEqual(Array.from(batch.subarray(0, 12)), [0, 0, 0, 2, 3, 0, 5, 6, 0, 8, 9, 0]);
  assert.deepEqual(Array.from(batch.subarray(12)), Array.from(image()));
});

test('shiftImages keeps channels together and leaves rows past `rows` alone', () => {
  // 2×2 image with 2 channels, shifted right by 1: each pixel's pair of channels moves as one.
  const batch = Float32Array.from([1, 10, 2, 20, 3, 30, 4, 40, 9, 9, 9, 9, 9, 9, 9, 9]);
  shiftImages(batch, 1, [2, 2, 2], 1, scripted([1, 2]));
  assert.deepEqual(Array.from(batch), [0, 0, 1, 10, 0, 0, 3, 30, 9, 9, 9, 9, 9, 9, 9, 9]);
});

test('shiftImages is seeded: the same rng seed gives the same batch, and shifts preserve pixel mass within bounds', () => {
  const run = (seed: number): Float32Array => {
    const batch = new Float32Array(5 * 28 * 28);
    for (let r = 0; r < 5; r++) for (let y = 10; y < 18; y++) for (let x = 10; x < 18; x++) batch[r * 784 + y * 28 + x] = 1;
    shiftImages(batch, 5, [28, 28, 1], 2, createRng(seed));
    return batch;
  };
  assert.deepEqual(run(3), run(3));
  assert.notDeepEqual(run(3), run(4));
  // A centred 8×8 square shifted by at most 2 stays inside: every image keeps its 64 pixels.
  const shifted = run(3);
  for (let r = 0; r < 5; r++) assert.equal(shifted.subarray(r * 784, (r + 1) * 784).reduce((a, b) => a + b, 0), 64);
});

test('masking noise zeroes about its rate, deterministically per seed, odd lengths included', async () => {
  const { applyMaskingNoise } = await import('../src/train/batches.ts');
  const masked = (seed: number, length: number, rate: number): Float32Array => {
    const values = new Float32Array(length).fill(0.5);
    applyMaskingNoise(values, rate, createRng(seed));
    return values;
  };
  const a = masked(1, 100_001, 0.3);
  assert.deepEqual(a, masked(1, 100_001, 0.3));
  assert.notDeepEqual(a, masked(2, 100_001, 0.3));
  const zeroShare = a.filter((v) => v === 0).length / a.length;
  assert.ok(Math.abs(zeroShare - 0.3) < 0.01, `zeroed ${zeroShare}`);
  assert.ok(a.every((v) => v === 0 || v === 0.5));
  assert.ok(masked(3, 7, 0).every((v) => v === 0.5));
  assert.ok(masked(3, 7, 0.9999999).every((v) => v === 0));
});

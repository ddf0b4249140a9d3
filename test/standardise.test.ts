import { test } from 'node:test';
import assert from 'node:assert/strict';
import { imputeMeanFromPool, prepareTableFromPool, standardiseFromPool } from '../src/data/standardise.ts';
import type { Dataset } from '../src/data/dataset.ts';

const close = (a: number, b: number) => assert.ok(Math.abs(a - b) < 1e-5, `${a} ≈ ${b}`);

test('standardiseFromPool: statistics come from pool rows only; std 0 becomes 1', () => {
  // 2 features; rows 0..3 are the pool, row 4 is a wild test row.
  const x = Float32Array.from([1, 5, 3, 5, 5, 5, 7, 5, 1000, -1000]);
  const pool = [0, 1, 2, 3];
  const { x: out, mean, std } = standardiseFromPool(x, 2, pool);
  assert.deepEqual(Array.from(mean), [4, 5]);
  close(std[0], Math.sqrt(5));
  assert.equal(std[1], 1);
  close(out[0], -3 / Math.sqrt(5));
  assert.equal(out[1], 0);
  close(out[8], 996 / Math.sqrt(5)); // the test row is scaled, never measured
  // Changing the test row changes nothing about the pool rows' values.
  const x2 = Float32Array.from(x);
  x2[8] = -5;
  x2[9] = 123;
  const again = standardiseFromPool(x2, 2, pool);
  assert.deepEqual(Array.from(again.x.subarray(0, 8)), Array.from(out.subarray(0, 8)));
  assert.deepEqual(Array.from(x), [1, 5, 3, 5, 5, 5, 7, 5, 1000, -1000], 'input left raw');
});

test('imputeMeanFromPool: NaN cells get the pool mean, test values ignored', () => {
  const x = Float32Array.from([1, NaN, 3, 10, NaN, 20, 500, 1000, NaN, NaN]);
  const out = imputeMeanFromPool(x, 2, [0, 1, 2]);
  assert.deepEqual(Array.from(out), [1, 15, 3, 10, 2, 20, 500, 1000, 2, 15]);
  assert.ok(Number.isNaN(x[1]), 'input left raw');
  assert.throws(() => imputeMeanFromPool(Float32Array.from([NaN, 1, NaN, 2]), 2, [0, 1]), /feature column 1 has no value in any training-pool row/);
});

test('prepareTableFromPool imputes then standardises tables and leaves images alone', () => {
  const table: Dataset = { name: 't', x: Float32Array.from([0, NaN, 2, 4]), y: Int32Array.from([0, 1, 0, 1]), inputShape: [1], classNames: ['a', 'b'] };
  const prepared = prepareTableFromPool(table, [0, 2]);
  assert.deepEqual(Array.from(prepared.x), [-1, 0, 1, 3]);
  const image: Dataset = { ...table, inputShape: [2, 2, 1], x: new Float32Array(4) };
  assert.equal(prepareTableFromPool(image, [0]), image);
});

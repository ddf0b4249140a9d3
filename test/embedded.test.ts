import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadEmbeddedMnist, EMBEDDED_MNIST_COUNTS } from '../src/data/embedded.ts';
import { featureCount } from '../src/data/dataset.ts';

test('embedded MNIST: shape, class order and exact byte/255 pixels', () => {
  const ds = loadEmbeddedMnist();
  const n = EMBEDDED_MNIST_COUNTS.reduce((a, b) => a + b, 0);
  assert.equal(ds.name, 'embedded-mnist');
  assert.deepEqual(ds.inputShape, [28, 28, 1]);
  assert.equal(ds.y.length, n);
  assert.equal(ds.x.length, n * featureCount(ds));
  assert.deepEqual(ds.classNames, ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']);
  // Digit 0 block first, then 1, …
  assert.equal(ds.y[0], 0);
  assert.equal(ds.y[EMBEDDED_MNIST_COUNTS[0] - 1], 0);
  assert.equal(ds.y[EMBEDDED_MNIST_COUNTS[0]], 1);
  assert.equal(ds.y[n - 1], 9);
  const counts = new Array<number>(10).fill(0);
  for (const c of ds.y) counts[c]++;
  assert.deepEqual(counts, [...EMBEDDED_MNIST_COUNTS]);
  // Every pixel is exactly some k/255 as float32.
  let max = 0;
  for (let i = 0; i < ds.x.length; i += 97) {
    const v = ds.x[i];
    const k = Math.round(v * 255);
    assert.ok(k >= 0 && k <= 255);
    assert.equal(v, Math.fround(k / 255));
    if (v > max) max = v;
  }
  assert.equal(max, 1);
});

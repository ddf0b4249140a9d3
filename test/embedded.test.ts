import { test } from 'node:test';
import assert from 'node:assert/strict';
import { loadEmbeddedMnist, EMBEDDED_MNIST_COUNTS } from '../src/data/embedded.ts';
import { featureCount } from '../src/data/dataset.ts';

test('embedded MNIST: shape, class order and pixels as bytes', () => {
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
  // Pixels are bytes (standing for byte/255), the full range used.
  assert.ok(ds.x instanceof Uint8Array);
  assert.equal(Math.max(...ds.x.subarray(0, 784 * 50)), 255);
  assert.equal(Math.min(...ds.x.subarray(0, 784 * 50)), 0);
});

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '#tfjs';
import { initWasmBackend } from '../src/backend/wasm-kernels.ts';
import { ADAM_DEFAULTS, createAdam, heapAdamOf } from '../src/train/adam.ts';
import { createRng } from '../src/util/rng.ts';

const rng = createRng(7);
const values = (n: number): Float32Array => Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
const SHAPES = [[37, 29], [29], [5, 3, 4]];

before(async () => {
  tf.enableProdMode();
  await initWasmBackend();
});
after(async () => {
  await tf.setBackend('wasm');
});

/** Run `steps` Adam updates of fresh variables from fixed starts with fixed gradients per step; returns the final weights. */
function train(makeAdam: () => { applyGradients(v: tf.Variable[], g: tf.Tensor[]): void; dispose(): void }, starts: Float32Array[], grads: Float32Array[][]): Float32Array[] {
  const variables = tf.tidy(() => starts.map((s, i) => tf.variable(tf.tensor(s, SHAPES[i]))));
  const adam = makeAdam();
  for (const step of grads) {
    tf.tidy(() => adam.applyGradients(variables, step.map((g, i) => tf.tensor(g, SHAPES[i]))));
  }
  adam.dispose();
  const out = variables.map((v) => v.dataSync() as Float32Array);
  tf.dispose(variables);
  return out;
}

test('the fused wasm Adam matches tf.train.adam over several steps and leaves no tensors', async () => {
  const starts = SHAPES.map((s) => values(s.reduce((p, q) => p * q, 1)));
  const grads = Array.from({ length: 6 }, () => starts.map((s) => values(s.length)));
  await tf.setBackend('cpu');
  const expected = train(() => {
    const o = tf.train.adam(0.01, ADAM_DEFAULTS.beta1, ADAM_DEFAULTS.beta2, ADAM_DEFAULTS.epsilon);
    return { applyGradients: (v, g) => o.applyGradients(v.map((x, i) => ({ name: x.name, tensor: g[i] }))), dispose: () => o.dispose() };
  }, starts, grads);
  await tf.setBackend('wasm');
  const before = tf.memory().numTensors;
  const actual = train(() => createAdam(0.01), starts, grads);
  assert.equal(tf.memory().numTensors, before, 'leaked tensors');
  expected.forEach((e, i) => {
    // Float32 rounding differs (one fused expression vs a dozen kernels): a few ulps of weights ~1.
    let diff = 0;
    for (let j = 0; j < e.length; j++) diff = Math.max(diff, Math.abs(actual[i][j] - e[j]));
    assert.ok(diff <= 1e-5, `weights ${i}: max difference ${diff}`);
    // Six steps of 0.01 must have moved the weights: the comparison is not of two no-ops.
    assert.ok(e.some((x, j) => Math.abs(x - starts[i][j]) > 0.01));
  });
});

test('the fused Adam writes new buffers: a tensor sharing the old weights keeps its values', async () => {
  await tf.setBackend('wasm');
  const v = tf.tidy(() => tf.variable(tf.tensor([1, 2, 3, 4])));
  const snapshot = v.clone(); // shares v's buffer (Identity override)
  const adam = createAdam(0.1);
  tf.tidy(() => adam.applyGradients([v], [tf.tensor([1, 1, 1, 1])]));
  adam.dispose();
  assert.deepEqual(Array.from(snapshot.dataSync()), [1, 2, 3, 4]);
  assert.ok(Math.abs(v.dataSync()[0] - 0.9) < 1e-5);
  tf.dispose([v, snapshot]);
});

test('updateInPlace (the fused dense step\'s way in) writes the weights in place unless another tensor shares them, and agrees with applyGradients', async () => {
  await tf.setBackend('wasm');
  const start = tf.memory().numTensors;
  const run = (inPlace: boolean, share: boolean) => {
    const v = tf.tidy(() => tf.variable(tf.tensor([1, 2, 3, 4, 5, 6, 7, 8, 9])));
    const shared = share ? v.clone() : null;
    const idBefore = v.dataId;
    const adam = heapAdamOf(createAdam(0.1))!;
    for (let step = 0; step < 3; step++) {
      // Elements 4…7 (one SIMD group) get no gradient until the last step: the kernel skips them while their moments are zero.
      const g = tf.tensor([0.5, -1, 2, 0, 0, 0, 0, step === 2 ? 0.125 : 0, -0.25]);
      if (inPlace) {
        adam.beginStep();
        adam.updateInPlace(v, g);
      } else {
        adam.applyGradients([v], [g]);
      }
      g.dispose();
    }
    adam.dispose();
    const result = { values: Array.from(v.dataSync()), sameBuffer: v.dataId === idBefore, shared: shared ? Array.from(shared.dataSync()) : null };
    tf.dispose([v, ...(shared ? [shared] : [])]);
    return result;
  };
  const inPlace = run(true, false);
  const copied = run(false, false);
  assert.deepEqual(inPlace.values, copied.values);
  assert.ok(inPlace.sameBuffer && !copied.sameBuffer);
  const shared = run(true, true);
  assert.deepEqual(shared.values, copied.values);
  assert.deepEqual(shared.shared, [1, 2, 3, 4, 5, 6, 7, 8, 9], 'a tensor sharing the old weights keeps them');
  assert.deepEqual(inPlace.values.slice(4, 7), [5, 6, 7], 'weights no gradient reached stay as they were');
  assert.notEqual(inPlace.values[7], 8, 'the late gradient moved its weight');
  assert.ok(!shared.sameBuffer);
  assert.equal(tf.memory().numTensors, start);
});

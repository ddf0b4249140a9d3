import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '#tfjs';
import {
  initWasmBackend,
  registerWasmKernelOverrides,
} from '../src/backend/wasm-kernels.ts';
import { createRng } from '../src/util/rng.ts';

// Every override is compared with the cpu backend on seeded random inputs. The error measure is
// max|wasm − cpu| / max|cpu| (an elementwise ratio is meaningless where the exact value is ~0).
const TOLERANCE = 1e-4;
const rng = createRng(20240601);

function randomValues(shape: number[]): Float32Array {
  const n = shape.reduce((a, b) => a * b, 1);
  return Float32Array.from({ length: n }, () => rng.next() * 2 - 1);
}

/** Run fn on the named backend and read its outputs back (tensors are disposed). */
async function on(backend: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<Float32Array[]> {
  assert.ok(await tf.setBackend(backend));
  const out = tf.tidy(fn);
  const list = Array.isArray(out) ? out : [out];
  const values = list.map((t) => t.dataSync() as Float32Array);
  tf.dispose(list);
  return values;
}

function relativeError(actual: Float32Array, expected: Float32Array): number {
  assert.equal(actual.length, expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < actual.length; i++) {
    diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
    scale = Math.max(scale, Math.abs(expected[i]));
  }
  return diff / (scale || 1);
}

/** Same computation on cpu and on wasm (overrides installed); assert the outputs agree. */
async function assertMatchesCpu(label: string, fn: () => tf.Tensor | tf.Tensor[]): Promise<void> {
  const expected = await on('cpu', fn);
  const actual = await on('wasm', fn);
  assert.equal(actual.length, expected.length, label);
  for (let i = 0; i < expected.length; i++) {
    const err = relativeError(actual[i], expected[i]);
    assert.ok(err <= TOLERANCE, `${label} output ${i}: relative error ${err.toExponential(2)}`);
  }
}

// Besides engine tensors, the overrides' own intermediates live only in the wasm backend's
// storage: numDataIds catches one that was not released.
const wasmDataIds = (): number => tf.engine().findBackend('wasm').numDataIds();
let tensorsBefore = 0;
let dataIdsBefore = 0;
before(async () => {
  tf.enableProdMode();
  await initWasmBackend();
  tensorsBefore = tf.memory().numTensors;
  dataIdsBefore = wasmDataIds();
});
after(() => {
  assert.equal(tf.memory().numTensors, tensorsBefore, 'tests leaked tensors');
  assert.equal(wasmDataIds(), dataIdsBefore, 'overrides leaked wasm buffers');
});

test('registerWasmKernelOverrides is idempotent and names its kernels', () => {
  const first = registerWasmKernelOverrides();
  const kernelFuncs = first.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc);
  const second = registerWasmKernelOverrides();
  assert.deepEqual(second, first);
  assert.deepEqual(first.sort(), [
    'Add', 'BatchMatMul', 'Cast', 'Conv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'FusedConv2D', 'Identity', 'Multiply', 'Slice', 'Step', 'Sum', '_FusedMatMul',
  ]);
  assert.deepEqual(second.map((name) => tf.getKernel(name, 'wasm')?.kernelFunc), kernelFuncs);
});

test('matMul with every transpose combination, rank 2 and batched rank 3, matches cpu', async () => {
  const start = tf.memory().numTensors;
  // Odd sizes exercise the gemm's leftover rows (m not a multiple of 4) and columns (n not a multiple of 8).
  for (const [m, k, n, batch] of [[37, 53, 29, []], [37, 53, 29, [3]], [160, 128, 128, []], [160, 128, 128, [1]]] as const) {
    for (const transposeA of [false, true]) {
      for (const transposeB of [false, true]) {
        const aShape: number[] = [...batch, ...(transposeA ? [k, m] : [m, k])];
        const bShape: number[] = [...batch, ...(transposeB ? [n, k] : [k, n])];
        const a = randomValues(aShape);
        const b = randomValues(bShape);
        await assertMatchesCpu(`matMul ${aShape}×${bShape} tA=${transposeA} tB=${transposeB}`, () =>
          tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), transposeA, transposeB));
      }
    }
  }
  assert.equal(tf.memory().numTensors, start);
});

test('matMul broadcasting a batch of one (or a rank-2 operand) matches cpu', async () => {
  const start = tf.memory().numTensors;
  const cases: [number[], number[], boolean, boolean][] = [
    [[3, 6, 5], [5, 4], false, false],
    [[3, 5, 6], [4, 5], true, true],
    [[6, 5], [3, 5, 4], false, false],
    [[1, 5, 6], [3, 5, 4], true, false],
    [[3, 6, 5], [1, 4, 5], false, true],
  ];
  for (const [aShape, bShape, transposeA, transposeB] of cases) {
    const a = randomValues(aShape);
    const b = randomValues(bShape);
    await assertMatchesCpu(`matMul ${aShape}×${bShape} tA=${transposeA} tB=${transposeB}`, () =>
      tf.matMul(tf.tensor(a, aShape), tf.tensor(b, bShape), transposeA, transposeB));
  }
  assert.equal(tf.memory().numTensors, start);
});

test('fused matMul (bias + activation) with transposes matches cpu', async () => {
  const start = tf.memory().numTensors;
  const [m, k, n] = [17, 31, 23];
  for (const transposeA of [false, true]) {
    for (const transposeB of [false, true]) {
      for (const activation of ['linear', 'relu', 'sigmoid'] as const) {
        const aShape = transposeA ? [k, m] : [m, k];
        const bShape = transposeB ? [n, k] : [k, n];
        const a = randomValues(aShape);
        const b = randomValues(bShape);
        const bias = randomValues([n]);
        await assertMatchesCpu(`fused matMul tA=${transposeA} tB=${transposeB} ${activation}`, () =>
          tf.fused.matMul({
            a: tf.tensor2d(a, aShape as [number, number]),
            b: tf.tensor2d(b, bShape as [number, number]),
            transposeA, transposeB, bias: tf.tensor1d(bias), activation,
          }));
      }
    }
  }
  assert.equal(tf.memory().numTensors, start);
});

test('a large product with a mostly zero left operand skips its zeros and keeps the dense product\'s bits (not with a bias of −0)', async () => {
  const { simdKernelsFor } = await import('../src/backend/simd-kernels.ts');
  assert.ok(await tf.setBackend('wasm'));
  const kernels = simdKernelsFor(tf.backend() as never)!;
  const stock = kernels.exports;
  let sparseCalls = 0;
  kernels.exports = { ...stock, gemmSparseA: (...args) => { sparseCalls++; stock.gemmSparseA(...args); } };
  try {
    const [m, k, n] = [203, 784, 41];
    // Digit-like: 85 % zeros, and some rows all zeros.
    const aValues = Float32Array.from({ length: m * k }, (_, i) => (Math.floor(i / k) % 17 === 0 || rng.next() < 0.85 ? 0 : rng.next()));
    const bValues = randomValues([k, n]);
    const bits = (t: tf.Tensor) => Array.from(new Uint32Array((t.dataSync() as Float32Array).slice().buffer));
    /** The dense gemm's own result, for comparison. */
    const dense = (a: tf.Tensor2D, aTransposed: boolean, b: tf.Tensor2D, bias?: tf.Tensor1D, relu = false) => {
      const c = tf.zeros([m, n]);
      kernels.gemm({ a, aTransposed, b, c, m, n, k, bias, relu });
      return c;
    };
    const b = tf.tensor2d(bValues, [k, n]);
    for (const transposeA of [false, true]) {
      const a = tf.tidy(() => (transposeA ? tf.tensor2d(aValues, [m, k]).transpose() as tf.Tensor2D : tf.tensor2d(aValues, [m, k])));
      const before = sparseCalls;
      const product = tf.matMul(a, b, transposeA);
      assert.equal(sparseCalls, before + 1, `tA=${transposeA}: the zeros were not skipped`);
      const expected = dense(a, transposeA, b);
      assert.deepEqual(bits(product), bits(expected), `tA=${transposeA}: bits differ`);
      tf.dispose([a, product, expected]);
    }
    const a = tf.tensor2d(aValues, [m, k]);
    for (const negativeZero of [false, true]) {
      const biasValues = randomValues([n]);
      if (negativeZero) biasValues[3] = -0;
      const bias = tf.tensor1d(biasValues);
      const before = sparseCalls;
      const product = tf.fused.matMul({ a, b, bias, activation: 'relu' });
      assert.equal(sparseCalls, before + (negativeZero ? 0 : 1), `bias with −0 ${negativeZero}`);
      const expected = dense(a, false, b, bias, true);
      assert.deepEqual(bits(product), bits(expected), `fused, bias with −0 ${negativeZero}: bits differ`);
      tf.dispose([bias, product, expected]);
    }
    // A small or dense operand keeps the dense product.
    const before = sparseCalls;
    tf.dispose(tf.tidy(() => [tf.matMul(tf.tensor2d(randomValues([m, k]), [m, k]), b), tf.matMul(tf.tensor2d(aValues.subarray(0, 20 * k), [20, k]), tf.tensor2d(bValues.subarray(0, k * 8), [k, 8]))]));
    assert.equal(sparseCalls, before);
    tf.dispose([a, b]);
  } finally {
    kernels.exports = stock;
  }
});

test('sum over leading axes (bias gradients) and other axes matches cpu', async () => {
  const start = tf.memory().numTensors;
  const cases: [number[], number | number[], boolean][] = [
    [[128, 77], 0, false],
    [[6, 5, 4, 7], [0, 1, 2], false],
    [[6, 5, 4, 7], [0, 1], true],
    [[6, 5, 4, 7], [1, 2], false], // not leading: stock kernel
    [[6, 5, 4, 7], -1, true],
    [[9, 3], [0, 1], false], // all axes: stock kernel
  ];
  for (const [shape, axis, keepDims] of cases) {
    const x = randomValues(shape);
    await assertMatchesCpu(`sum ${shape} axis=${axis} keepDims=${keepDims}`, () => {
      const s = tf.sum(tf.tensor(x, shape), axis, keepDims);
      return tf.concat([tf.reshape(s, [-1]), tf.tensor1d(s.shape)]); // compares the shape too
    });
  }
  assert.equal(tf.memory().numTensors, start);
});

test('identity shares the buffer: a clone outlives its source and vice versa', async () => {
  await tf.setBackend('wasm');
  const start = tf.memory().numTensors;
  const a = tf.tensor1d([1, 2, 3]);
  const b = tf.clone(a);
  a.dispose();
  assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3]);
  const c = tf.clone(b);
  b.dispose();
  assert.deepEqual(Array.from(tf.tidy(() => tf.add(c, 1).dataSync())), [2, 3, 4]);
  assert.deepEqual(Array.from(c.dataSync()), [1, 2, 3]);
  c.dispose();
  assert.equal(tf.memory().numTensors, start);
});

test('slice (contiguous runs copied inside the heap, others stock) matches cpu for float32, int32 and bool', async () => {
  const start = tf.memory().numTensors;
  const cases: [number[], number[], number[]][] = [
    [[37, 11], [5, 0], [9, 11]], // rows: contiguous
    [[37, 11], [5, 2], [9, 4]], // a block inside: not contiguous
    [[6, 5, 4], [2, 0, 0], [3, 5, 4]],
    [[6, 5, 4], [2, 3, 0], [1, 2, 4]], // contiguous inside one row
    [[6, 5, 4], [1, 1, 1], [2, 2, 2]],
    [[50], [7], [0]], // empty
  ];
  for (const [shape, begin, size] of cases) {
    const x = randomValues(shape);
    await assertMatchesCpu(`slice float32 ${shape} from ${begin} size ${size}`, () => tf.slice(tf.tensor(x, shape), begin, size));
    await assertMatchesCpu(`slice int32 ${shape} from ${begin} size ${size}`, () => tf.cast(tf.slice(tf.tensor(x.map((v) => Math.round(v * 1000)), shape, 'int32'), begin, size), 'float32'));
    await assertMatchesCpu(`slice bool ${shape} from ${begin} size ${size}`, () => tf.cast(tf.slice(tf.greater(tf.tensor(x, shape), 0), begin, size), 'float32'));
  }
  assert.equal(tf.memory().numTensors, start);
});

test('step (with alpha, NaN kept) and cast match cpu; a cast to the same dtype shares the buffer', async () => {
  const start = tf.memory().numTensors;
  const x = randomValues([37]);
  x[3] = 0;
  x[5] = Number.NaN;
  for (const alpha of [0, 0.25]) {
    const expected = await on('cpu', () => tf.step(tf.tensor1d(x), alpha));
    const actual = await on('wasm', () => tf.step(tf.tensor1d(x), alpha));
    assert.deepEqual(Array.from(actual[0]).map(String), Array.from(expected[0]).map(String), `step alpha ${alpha}`);
  }
  await assertMatchesCpu('cast int32 → float32', () => tf.cast(tf.tensor1d([1, -2, 3], 'int32'), 'float32'));
  await assertMatchesCpu('cast float32 → int32 → float32', () => tf.cast(tf.cast(tf.tensor1d(x.slice(6)), 'int32'), 'float32'));
  await tf.setBackend('wasm');
  const a = tf.tensor1d([1, 2, 3]);
  const b = tf.cast(a, 'float32');
  a.dispose();
  assert.deepEqual(Array.from(b.dataSync()), [1, 2, 3]);
  b.dispose();
  assert.equal(tf.memory().numTensors, start);
});

test('add and multiply (same shapes, a bias over the last axes, and shapes left to the stock kernels) equal cpu bit for bit', async () => {
  const start = tf.memory().numTensors;
  const cases: [number[], number[]][] = [
    [[6, 5, 4, 7], [6, 5, 4, 7]], // same shape
    [[6, 5, 4, 8], [8]], // conv bias
    [[6, 5, 4, 8], [1, 1, 1, 8]], // reshaped bias
    [[9, 13], [13]], // dense bias, leftover lanes
    [[9, 13], [1, 13]],
    [[6, 5, 4, 3], [3]], // bias too short: stock
    [[9, 13], [9, 1]], // broadcast over the last axis: stock
    [[9, 13], []], // a scalar: stock
  ];
  for (const [aShape, bShape] of cases) {
    const a = randomValues(aShape);
    const b = randomValues(bShape);
    for (const op of ['add', 'mul'] as const) {
      const expected = await on('cpu', () => tf[op](tf.tensor(a, aShape), tf.tensor(b, bShape)));
      const actual = await on('wasm', () => tf[op](tf.tensor(a, aShape), tf.tensor(b, bShape)));
      assert.deepEqual(Array.from(new Uint32Array(actual[0].buffer)), Array.from(new Uint32Array(expected[0].buffer)), `${op} ${aShape} ${bShape}`);
    }
  }
  assert.equal(tf.memory().numTensors, start);
});

type Pad = 'same' | 'valid';
/** [x shape, filter shape, stride, padding]: the conv AE's layers plus 5×5, valid and odd sizes. */
const CONV_CASES: [[number, number, number, number], [number, number, number, number], number, Pad][] = [
  [[2, 28, 28, 1], [3, 3, 1, 32], 2, 'same'], // encoder conv 1
  [[1, 14, 14, 32], [3, 3, 32, 64], 2, 'same'], // encoder conv 2 (batch 1: cpu's kernel is slow)
  [[2, 7, 7, 16], [3, 3, 16, 24], 1, 'same'],
  [[2, 11, 11, 3], [5, 5, 3, 4], 1, 'same'],
  [[2, 11, 11, 8], [5, 5, 8, 4], 2, 'same'],
  [[2, 11, 11, 8], [5, 5, 8, 4], 1, 'valid'],
  [[2, 12, 12, 3], [5, 5, 3, 4], 2, 'valid'],
  [[2, 12, 12, 8], [5, 5, 8, 4], 2, 'valid'],
  [[2, 10, 9, 8], [3, 3, 8, 5], 2, 'valid'],
  [[2, 9, 10, 2], [3, 3, 2, 5], 2, 'same'],
  [[2, 9, 10, 8], [3, 3, 8, 5], 2, 'same'],
  [[2, 7, 7, 8], [1, 1, 8, 4], 2, 'valid'], // trailing inserted zeros exceed the padding: cropped
];

function convOutShape(xShape: number[], fShape: number[], stride: number, pad: Pad): number[] {
  const out = (size: number, k: number): number =>
    pad === 'same' ? Math.ceil(size / stride) : Math.ceil((size - k + 1) / stride);
  return [xShape[0], out(xShape[1], fShape[0]), out(xShape[2], fShape[1]), fShape[3]];
}

test('Conv2D and FusedConv2D (bias; linear or ReLU) match cpu', async () => {
  const start = tf.memory().numTensors;
  for (const [xShape, fShape, stride, pad] of CONV_CASES) {
    const x = randomValues(xShape);
    const f = randomValues(fShape);
    const bias = randomValues([fShape[3]]);
    await assertMatchesCpu(`conv2d x=${xShape} f=${fShape} s=${stride} ${pad}`, () =>
      tf.conv2d(tf.tensor4d(x, xShape), tf.tensor4d(f, fShape), stride, pad));
    for (const activation of ['linear', 'relu'] as const) {
      await assertMatchesCpu(`fused conv2d ${activation} x=${xShape} f=${fShape} s=${stride} ${pad}`, () =>
        tf.fused.conv2d({ x: tf.tensor4d(x, xShape), filter: tf.tensor4d(f, fShape), strides: stride, pad, bias: tf.tensor1d(bias), activation }));
    }
  }
  assert.equal(tf.memory().numTensors, start);
});

test('a batch too large for one patch matrix is done in chunks: conv, filter and input gradients still match cpu', async () => {
  const start = tf.memory().numTensors;
  // 4 images of 16×16×8 with a 3×3 filter: 256 rows of 72 patch values each, 3 images per chunk.
  const xShape: [number, number, number, number] = [4, 16, 16, 8];
  const fShape: [number, number, number, number] = [3, 3, 8, 4];
  const x = randomValues(xShape);
  const f = randomValues(fShape);
  const dy = randomValues([4, 16, 16, 4]);
  await assertMatchesCpu('chunked conv2d', () => tf.conv2d(tf.tensor4d(x, xShape), tf.tensor4d(f, fShape), 1, 'same'));
  await assertMatchesCpu('chunked Conv2DBackpropFilter', () =>
    tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(x, xShape), dy: tf.tensor(dy, [4, 16, 16, 4]) }, {
      strides: [1, 1], pad: 'same', dataFormat: 'NHWC', filterShape: fShape,
    }) as tf.Tensor);
  await assertMatchesCpu('chunked Conv2DBackpropInput', () =>
    tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor(dy, [4, 16, 16, 4]), filter: tf.tensor(f, fShape) }, {
      strides: [1, 1], pad: 'same', dataFormat: 'NHWC', inputShape: xShape,
    }) as tf.Tensor);
  assert.equal(tf.memory().numTensors, start);
});

test('Conv2DBackpropFilter (added on wasm) matches cpu for strides 1/2, same/valid, 3×3 and 5×5', async () => {
  const start = tf.memory().numTensors;
  for (const [xShape, fShape, stride, pad] of CONV_CASES) {
    const dyShape = convOutShape(xShape, fShape, stride, pad);
    const x = randomValues(xShape);
    const dy = randomValues(dyShape);
    await assertMatchesCpu(`Conv2DBackpropFilter x=${xShape} f=${fShape} s=${stride} ${pad}`, () =>
      tf.engine().runKernel('Conv2DBackpropFilter', { x: tf.tensor(x, xShape), dy: tf.tensor(dy, dyShape) }, {
        strides: [stride, stride], pad, dataFormat: 'NHWC', filterShape: fShape,
      }) as tf.Tensor);
  }
  assert.equal(tf.memory().numTensors, start);
});

test('Conv2DBackpropInput matches cpu for strides 1/2, same/valid, 3×3 and 5×5', async () => {
  const start = tf.memory().numTensors;
  for (const [xShape, fShape, stride, pad] of CONV_CASES) {
    const dyShape = convOutShape(xShape, fShape, stride, pad);
    const f = randomValues(fShape);
    const dy = randomValues(dyShape);
    await assertMatchesCpu(`Conv2DBackpropInput x=${xShape} f=${fShape} s=${stride} ${pad}`, () =>
      tf.engine().runKernel('Conv2DBackpropInput', { dy: tf.tensor(dy, dyShape), filter: tf.tensor(f, fShape) }, {
        strides: [stride, stride], pad, dataFormat: 'NHWC', inputShape: xShape,
      }) as tf.Tensor);
  }
  assert.equal(tf.memory().numTensors, start);
});

test('conv2dTranspose (the decoder layers) matches cpu', async () => {
  const start = tf.memory().numTensors;
  const cases: [number[], [number, number, number, number], [number, number, number, number]][] = [
    [[2, 7, 7, 64], [3, 3, 32, 64], [2, 14, 14, 32]],
    [[2, 14, 14, 32], [3, 3, 1, 32], [2, 28, 28, 1]],
  ];
  for (const [xShape, fShape, outShape] of cases) {
    const x = randomValues(xShape);
    const f = randomValues(fShape);
    await assertMatchesCpu(`conv2dTranspose ${xShape} → ${outShape}`, () =>
      tf.conv2dTranspose(tf.tensor4d(x, xShape as [number, number, number, number]), tf.tensor4d(f, fShape), outShape, 2, 'same'));
  }
  assert.equal(tf.memory().numTensors, start);
});

test('variableGrads of a tiny conv + dense autoencoder loss agree between wasm and cpu', async () => {
  const start = tf.memory().numTensors;
  const shapes: Record<string, number[]> = {
    c1: [3, 3, 1, 8], b1: [8], c2: [3, 3, 8, 16], b2: [16],
    d: [7 * 7 * 16, 12], db: [12], e: [12, 7 * 7 * 16],
    t1: [3, 3, 8, 16], tb1: [8], t2: [3, 3, 1, 8],
  };
  const init: Record<string, Float32Array> = {};
  for (const [name, shape] of Object.entries(shapes)) {
    init[name] = randomValues(shape).map((v) => v * 0.3);
  }
  const xs = Float32Array.from({ length: 4 * 28 * 28 }, () => rng.next());
  const names = Object.keys(shapes);

  const grads = (): tf.Tensor[] => {
    const vars: Record<string, tf.Variable> = {};
    for (const name of names) vars[name] = tf.variable(tf.tensor(init[name], shapes[name]), true, `${name}_${tf.getBackend()}`);
    const x = tf.tensor4d(xs, [4, 28, 28, 1]);
    const { grads: g } = tf.variableGrads(() => {
      let h = tf.relu(tf.add(tf.conv2d(x, vars.c1 as tf.Tensor4D, 2, 'same'), vars.b1));
      h = tf.relu(tf.add(tf.conv2d(h as tf.Tensor4D, vars.c2 as tf.Tensor4D, 2, 'same'), vars.b2));
      const flat = tf.reshape(h, [4, 7 * 7 * 16]);
      const code = tf.relu(tf.add(tf.matMul(flat, vars.d), vars.db));
      const back = tf.reshape(tf.matMul(code, vars.e), [4, 7, 7, 16]) as tf.Tensor4D;
      h = tf.relu(tf.add(tf.conv2dTranspose(back, vars.t1 as tf.Tensor4D, [4, 14, 14, 8], 2, 'same'), vars.tb1));
      const y = tf.sigmoid(tf.conv2dTranspose(h as tf.Tensor4D, vars.t2 as tf.Tensor4D, [4, 28, 28, 1], 2, 'same'));
      return tf.losses.sigmoidCrossEntropy(x, y) as tf.Scalar;
    });
    const out = names.map((name) => g[`${name}_${tf.getBackend()}`]);
    for (const v of Object.values(vars)) v.dispose();
    return out;
  };

  await assertMatchesCpu('variableGrads', grads);
  assert.equal(tf.memory().numTensors, start);
});

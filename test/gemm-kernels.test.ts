import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs';
import { GEMM_BIAS_AFTER, GEMM_MASK_POSITIVE, GEMM_RELU, simdKernelsFor, type SimdKernels } from '../src/backend/simd-kernels.ts';
import { initWasmBackend } from '../src/backend/wasm-kernels.ts';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { createRng } from '../src/util/rng.ts';

// The gemm's epilogues and the sparse gemm, called directly on heap buffers. Each result is
// compared bit for bit with a float32 reference that sums in the kernel's documented order (the
// rounding training results depend on), and with the cpu backend's matMul within float32 error.
// Sizes leave rows (m mod 4) and columns (n mod 8) over, and cross the gemm's cache blocks
// (more than 256 terms, more than 64 rows).
const rng = createRng(99);
const SIZES: [number, number, number][] = [[13, 19, 23], [8, 16, 5], [4, 8, 1], [1, 1, 7], [37, 29, 53], [6, 9, 40], [70, 12, 530], [9, 17, 257]];

let kernels: SimdKernels;
let backend: BackendWasm;
before(async () => {
  tf.enableProdMode();
  await initWasmBackend();
  backend = tf.backend() as BackendWasm;
  kernels = simdKernelsFor(backend)!;
});
after(async () => {
  await tf.setBackend('wasm');
});

const values = (n: number, zeros = 0): Float32Array => Float32Array.from({ length: n }, () => (rng.next() < zeros ? 0 : rng.next() * 2 - 1));
const bits = (v: Float32Array): number[] => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));

/** C = op(A)·B with the kernel's order: from bias (or 0), p = 0 … k−1, each term rounded, then the epilogue. */
function reference(a: Float32Array, aTransposed: boolean, b: Float32Array, m: number, n: number, k: number, bias: Float32Array | null, flags: number, mask: Float32Array | null): Float32Array {
  const f = Math.fround;
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias && !(flags & GEMM_BIAS_AFTER) ? bias[j] : 0;
      for (let p = 0; p < k; p++) s = f(s + f((aTransposed ? a[p * m + i] : a[i * k + p]) * b[p * n + j]));
      if (bias && flags & GEMM_BIAS_AFTER) s = f(s + bias[j]);
      if (flags & GEMM_RELU) s = Math.max(s, 0);
      if (flags & GEMM_MASK_POSITIVE && !(mask![i * n + j] > 0)) s = 0;
      c[i * n + j] = s;
    }
  }
  return c;
}

/** Run the gemm (or the sparse gemm) on heap copies of the operands; returns C. */
function run(sparse: boolean, a: Float32Array, aTransposed: boolean, b: Float32Array, m: number, n: number, k: number, bias: Float32Array | null, flags: number, mask: Float32Array | null): Float32Array {
  const t = (v: Float32Array) => tf.tensor1d(v);
  const [ta, tb, tc] = [t(a), t(b), tf.zeros([m * n])];
  const tbias = bias ? t(bias) : null;
  const tmask = mask ? t(mask) : null;
  const lists = tf.zeros([m * (2 * k + 1)], "int32");
  const at = (x: tf.Tensor | null) => (x ? kernels.heapOffset(x) : 0);
  const [aRow, aCol] = aTransposed ? [1, m] : [k, 1];
  if (sparse) kernels.exports.gemmSparseA(at(ta), aRow, aCol, at(tb), n, at(tc), m, n, k, at(tbias), flags, at(tmask), at(lists));
  else kernels.exports.gemm(at(ta), aRow, aCol, at(tb), n, at(tc), m, n, k, at(tbias), flags, at(tmask));
  const out = tc.dataSync() as Float32Array;
  tf.dispose([ta, tb, tc, lists, ...(tbias ? [tbias] : []), ...(tmask ? [tmask] : [])]);
  return out;
}

const FLAG_SETS = [0, GEMM_RELU, GEMM_BIAS_AFTER, GEMM_RELU | GEMM_BIAS_AFTER, GEMM_MASK_POSITIVE];

test('gemm and the sparse gemm equal the float32 reference bit for bit, for every epilogue and both layouts of A', () => {
  const start = tf.memory().numTensors;
  for (const [m, n, k] of SIZES) {
    for (const aTransposed of [false, true]) {
      for (const zeros of [0, 0.8]) {
        const a = values(m * k, zeros);
        const b = values(k * n);
        for (const flags of FLAG_SETS) {
          for (const bias of [null, values(n)]) {
            const mask = flags & GEMM_MASK_POSITIVE ? values(m * n, 0.3) : null;
            const expected = bits(reference(a, aTransposed, b, m, n, k, bias, flags, mask));
            const label = `${m}×${k}·${k}×${n} tA=${aTransposed} zeros=${zeros} flags=${flags} bias=${bias != null}`;
            assert.deepEqual(bits(run(false, a, aTransposed, b, m, n, k, bias, flags, mask)), expected, `gemm ${label}`);
            assert.deepEqual(bits(run(true, a, aTransposed, b, m, n, k, bias, flags, mask)), expected, `sparse gemm ${label}`);
          }
        }
      }
    }
  }
  assert.equal(tf.memory().numTensors, start);
});

test('a sparse A with zero rows, zero columns, or nothing but zeros gives gemm\'s bits', () => {
  const [m, n, k] = [22, 17, 31];
  const a = values(m * k, 0.5);
  for (let i = 0; i < 8; i++) a.fill(0, i * k, (i + 1) * k); // two whole zero blocks of 4 rows
  for (let p = 0; p < k; p += 4) for (let i = 0; i < m; i++) a[i * k + p] = 0; // zero columns
  const b = values(k * n);
  const bias = values(n);
  for (const flags of FLAG_SETS) {
    const mask = values(m * n, 0.3);
    assert.deepEqual(bits(run(true, a, false, b, m, n, k, bias, flags, mask)), bits(run(false, a, false, b, m, n, k, bias, flags, mask)), `flags ${flags}`);
  }
  const zero = new Float32Array(m * k);
  assert.deepEqual(bits(run(true, zero, false, b, m, n, k, bias, 0, null)), bits(run(false, zero, false, b, m, n, k, bias, 0, null)));
});

test('gemm with a bias after the sum and ReLU matches the cpu backend\'s matMul + add + relu', async () => {
  for (const [m, n, k] of SIZES) {
    const a = values(m * k, 0.6);
    const b = values(k * n);
    const bias = values(n);
    await tf.setBackend('cpu');
    const expected = tf.tidy(() => tf.relu(tf.add(tf.matMul(tf.tensor2d(a, [m, k]), tf.tensor2d(b, [k, n])), tf.tensor1d(bias))).dataSync() as Float32Array);
    await tf.setBackend('wasm');
    for (const sparse of [false, true]) {
      const actual = run(sparse, a, false, b, m, n, k, bias, GEMM_RELU | GEMM_BIAS_AFTER, null);
      let diff = 0;
      for (let i = 0; i < expected.length; i++) diff = Math.max(diff, Math.abs(actual[i] - expected[i]));
      assert.ok(diff <= 1e-5 * Math.max(1, k), `${m}×${k}·${k}×${n} sparse=${sparse}: max difference ${diff}`);
    }
  }
});

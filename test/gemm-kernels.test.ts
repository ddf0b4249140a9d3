import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '#tfjs';
import { fusedMultiplyAddAvailable, type KernelBuild } from '../src/backend/kernel-build.ts';
import { GEMM_ACCUMULATE, GEMM_BIAS_AFTER, GEMM_MASK_POSITIVE, GEMM_RELU, instantiateKernels, simdKernelsFor, type KernelExports, type SimdKernels } from '../src/backend/simd-kernels.ts';
import { initWasmBackend } from '../src/backend/wasm-kernels.ts';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { createRng } from '../src/util/rng.ts';

// The gemm's epilogues and the sparse gemm of both kernel builds, called directly on heap
// buffers. Each result is compared bit for bit with a float32 reference that sums in the kernel's
// documented order (the rounding training results depend on): a multiply and an add per term for
// the baseline build, one correctly rounded fused multiply-add for the relaxed build (where this
// runtime has it); and with the cpu backend's matMul within float32 error.
// Sizes leave rows (m mod 4) and columns (n mod 8) over, and cross the gemm's cache blocks
// (more than 256 terms, more than 64 rows).
const rng = createRng(99);
const SIZES: [number, number, number][] = [[13, 19, 23], [8, 16, 5], [4, 8, 1], [1, 1, 7], [37, 29, 53], [6, 9, 40], [70, 12, 530], [9, 17, 257]];

let kernels: SimdKernels;
let backend: BackendWasm;
const builds = new Map<KernelBuild, KernelExports>();
before(async () => {
  tf.enableProdMode();
  await initWasmBackend();
  backend = tf.backend() as BackendWasm;
  kernels = simdKernelsFor(backend)!;
  builds.set('baseline', instantiateKernels(backend, 'baseline')!);
  if (fusedMultiplyAddAvailable()) builds.set('relaxed', instantiateKernels(backend, 'relaxed')!);
});
after(async () => {
  await tf.setBackend('wasm');
});

const values = (n: number, zeros = 0): Float32Array => Float32Array.from({ length: n }, () => (rng.next() < zeros ? 0 : rng.next() * 2 - 1));
const bits = (v: Float32Array): number[] => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));

const f = Math.fround;
const f32 = new Float32Array(1);
const i32 = new Int32Array(f32.buffer);
/** The float32 next to `x` (a float32) towards `direction` (±1; x ≠ 0). */
function neighbour(x: number, direction: number): number {
  f32[0] = x;
  i32[0] += (x > 0) === (direction > 0) ? 1 : -1;
  return f32[0];
}

/** a·b + c rounded once to float32 (float32 inputs): the double sum and its exact error (TwoSum) settle the one case double rounding gets wrong, an exact tie. */
function fusedMultiplyAdd(a: number, b: number, c: number): number {
  const p = a * b; // exact: 24 × 24 bits fit a double
  const sum = c + p;
  const back = sum - c;
  const error = (c - (sum - back)) + (p - back);
  const r = f(sum);
  if (error === 0 || r === sum || r === 0) return r;
  const other = neighbour(r, sum - r);
  return sum - r === other - sum ? (error > 0 === other > r ? other : r) : r;
}

/** C = op(A)·B with the kernel's order: from bias (or 0), p = 0 … k−1, each term rounded (or fused), then the epilogue. */
function reference(a: Float32Array, aTransposed: boolean, b: Float32Array, m: number, n: number, k: number, bias: Float32Array | null, flags: number, mask: Float32Array | null, build: KernelBuild = 'baseline'): Float32Array {
  const c = new Float32Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = bias && !(flags & GEMM_BIAS_AFTER) ? bias[j] : 0;
      for (let p = 0; p < k; p++) {
        const x = aTransposed ? a[p * m + i] : a[i * k + p];
        s = build === 'relaxed' ? fusedMultiplyAdd(x, b[p * n + j], s) : f(s + f(x * b[p * n + j]));
      }
      if (bias && flags & GEMM_BIAS_AFTER) s = f(s + bias[j]);
      if (flags & GEMM_RELU) s = Math.max(s, 0);
      if (flags & GEMM_MASK_POSITIVE && !(mask![i * n + j] > 0)) s = 0;
      c[i * n + j] = s;
    }
  }
  return c;
}

/** Run the gemm (or the sparse gemm) of a build (default: this process's) on heap copies of the operands; returns C. */
function run(sparse: boolean, a: Float32Array, aTransposed: boolean, b: Float32Array, m: number, n: number, k: number, bias: Float32Array | null, flags: number, mask: Float32Array | null, exports: KernelExports = kernels.exports): Float32Array {
  const t = (v: Float32Array) => tf.tensor1d(v);
  const [ta, tb, tc] = [t(a), t(b), tf.zeros([m * n])];
  const tbias = bias ? t(bias) : null;
  const tmask = mask ? t(mask) : null;
  const lists = tf.zeros([m * (2 * k + 1)], "int32");
  const at = (x: tf.Tensor | null) => (x ? kernels.heapOffset(x) : 0);
  const [aRow, aCol] = aTransposed ? [1, m] : [k, 1];
  if (sparse) exports.gemmSparseA(at(ta), aRow, aCol, at(tb), n, at(tc), m, n, k, at(tbias), flags, at(tmask), at(lists));
  else exports.gemm(at(ta), aRow, aCol, at(tb), n, at(tc), m, n, k, at(tbias), flags, at(tmask));
  const out = tc.dataSync() as Float32Array;
  tf.dispose([ta, tb, tc, lists, ...(tbias ? [tbias] : []), ...(tmask ? [tmask] : [])]);
  return out;
}

const FLAG_SETS = [0, GEMM_RELU, GEMM_BIAS_AFTER, GEMM_RELU | GEMM_BIAS_AFTER, GEMM_MASK_POSITIVE];

test('gemm and the sparse gemm of each build equal its float32 reference bit for bit, for every epilogue and both layouts of A', () => {
  const start = tf.memory().numTensors;
  for (const [build, exports] of builds) {
    for (const [m, n, k] of SIZES) {
      for (const aTransposed of [false, true]) {
        for (const zeros of [0, 0.8]) {
          const a = values(m * k, zeros);
          const b = values(k * n);
          for (const flags of FLAG_SETS) {
            for (const bias of [null, values(n)]) {
              const mask = flags & GEMM_MASK_POSITIVE ? values(m * n, 0.3) : null;
              const expected = bits(reference(a, aTransposed, b, m, n, k, bias, flags, mask, build));
              const label = `${build}: ${m}×${k}·${k}×${n} tA=${aTransposed} zeros=${zeros} flags=${flags} bias=${bias != null}`;
              assert.deepEqual(bits(run(false, a, aTransposed, b, m, n, k, bias, flags, mask, exports)), expected, `gemm ${label}`);
              assert.deepEqual(bits(run(true, a, aTransposed, b, m, n, k, bias, flags, mask, exports)), expected, `sparse gemm ${label}`);
            }
          }
        }
      }
    }
  }
  assert.equal(tf.memory().numTensors, start);
});

test('gemm\'s leftover columns (n mod 8, four rows at a time and single rows) give the reference\'s bits, continue sums across calls, and write nothing outside C', () => {
  // n = 9 (the one-channel conv layers' 9 taps), 1 … 7 and 15 leftover columns; m with 0 … 3 rows
  // over a multiple of 4 and across the 64-row cache block; k across the 256-term block.
  const shapes: [number, number, number][] = [[196, 9, 32], [9, 9, 7], [7, 1, 5], [6, 3, 260], [67, 5, 11], [4, 7, 1], [1, 15, 9], [70, 2, 33]];
  const GUARD = 16;
  const heapC = (m: number, n: number, inner: Float32Array | null): tf.Tensor => {
    const c = new Float32Array(m * n + 2 * GUARD).fill(Number.NaN);
    c.fill(-7, 0, GUARD);
    c.fill(-9, GUARD + m * n);
    if (inner) c.set(inner, GUARD);
    return tf.tensor1d(c);
  };
  /** C's m × n values, after checking that the guard zones around them are as heapC wrote them. */
  const insideGuards = (c: tf.Tensor, m: number, n: number, label: string): Float32Array => {
    const out = c.dataSync() as Float32Array;
    assert.ok(out.slice(0, GUARD).every((v) => v === -7) && out.slice(GUARD + m * n).every((v) => v === -9), `guard zones ${label}`);
    return out.slice(GUARD, GUARD + m * n);
  };
  for (const [build, exports] of builds) {
    for (const [m, n, k] of shapes) {
      for (const aTransposed of [false, true]) {
        const a = values(m * k, 0.2);
        const b = values(k * n);
        for (const flags of FLAG_SETS) {
          for (const bias of [null, values(n)]) {
            const mask = flags & GEMM_MASK_POSITIVE ? values(m * n, 0.3) : null;
            const label = `${build}: ${m}×${k}·${k}×${n} tA=${aTransposed} flags=${flags} bias=${bias != null}`;
            const expected = reference(a, aTransposed, b, m, n, k, bias, flags, mask, build);
            const [ta, tb] = [tf.tensor1d(a), tf.tensor1d(b)];
            const tbias = bias ? tf.tensor1d(bias) : null;
            const tmask = mask ? tf.tensor1d(mask) : null;
            const at = (x: tf.Tensor | null) => (x ? kernels.heapOffset(x) : 0);
            const [aRow, aCol] = aTransposed ? [1, m] : [k, 1];
            // In one call, into C between guard zones.
            const tc = heapC(m, n, null);
            exports.gemm(at(ta), aRow, aCol, at(tb), n, at(tc) + GUARD * 4, m, n, k, at(tbias), flags, at(tmask));
            assert.deepEqual(bits(insideGuards(tc, m, n, label)), bits(expected), `gemm ${label}`);
            // The terms split over two calls (the second continues the first's sums): the same bits.
            if (k > 1) {
              const half = k >> 1;
              const aStep = aTransposed ? half * m : half;
              const tc2 = heapC(m, n, null);
              const start = bias && !(flags & GEMM_BIAS_AFTER) ? at(tbias) : 0;
              exports.gemm(at(ta), aRow, aCol, at(tb), n, at(tc2) + GUARD * 4, m, n, half, start, 0, 0);
              exports.gemm(at(ta) + aStep * 4, aRow, aCol, at(tb) + half * n * 4, n, at(tc2) + GUARD * 4, m, n, k - half, flags & GEMM_BIAS_AFTER ? at(tbias) : 0, flags | GEMM_ACCUMULATE, at(tmask));
              assert.deepEqual(bits(insideGuards(tc2, m, n, `(accumulated) ${label}`)), bits(expected), `accumulated gemm ${label}`);
              tf.dispose(tc2);
            }
            tf.dispose([ta, tb, tc, ...(tbias ? [tbias] : []), ...(tmask ? [tmask] : [])]);
          }
        }
      }
    }
  }
});

test('the fused multiply-add reference rounds once: it keeps what a multiply and an add lose', () => {
  const a = 1 + 2 ** -12;
  assert.equal(fusedMultiplyAdd(a, a, -(1 + 2 ** -11)), 2 ** -24);
  assert.equal(f(f(a * a) - (1 + 2 ** -11)), 0);
  assert.equal(fusedMultiplyAdd(3, 5, 7), 22);
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

test('the sparse gemm gives the reference\'s bits on every path: 24-, 16-, 4- and 1-column passes, empty, dense and uneven rows, ±0 values, both layouts', () => {
  // n = 47: 24 + 16 + 4 + 3 columns; 256: ten passes of 24 and one of 16; 52: two of 24 and one
  // of 4. m and k cross the list builders' 16-value blocks with leftovers (m, k mod 16 ≠ 0).
  const shapes: [number, number, number][] = [[21, 47, 35], [19, 256, 40], [33, 52, 18], [3, 256, 17], [17, 28, 16]];
  for (const [build, exports] of builds) {
    for (const [m, n, k] of shapes) {
      for (const aTransposed of [false, true]) {
        // Row i of op(A) (one list) keeps a share of its terms from none to all, so the lists' lengths differ widely.
        const a = new Float32Array(m * k);
        for (let i = 0; i < m; i++) {
          const keep = i === 0 ? 0 : i === 1 ? 1 : rng.next();
          for (let p = 0; p < k; p++) {
            const v = rng.next() < keep ? rng.next() * 2 - 1 : rng.next() < 0.5 ? 0 : -0;
            a[aTransposed ? p * m + i : i * k + p] = v;
          }
        }
        const b = values(k * n);
        for (const flags of FLAG_SETS) {
          for (const bias of [null, values(n)]) {
            const mask = flags & GEMM_MASK_POSITIVE ? values(m * n, 0.3) : null;
            const expected = bits(reference(a, aTransposed, b, m, n, k, bias, flags, mask, build));
            const label = `${build}: ${m}×${k}·${k}×${n} tA=${aTransposed} flags=${flags} bias=${bias != null}`;
            assert.deepEqual(bits(run(true, a, aTransposed, b, m, n, k, bias, flags, mask, exports)), expected, `sparse gemm ${label}`);
          }
        }
      }
    }
  }
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

test('transpose (tiled) moves every value where a plain transposition puts it, odd shapes and tile edges too', () => {
  for (const [rows, cols] of [[37, 53], [64, 70], [256, 33], [5, 3], [1, 9], [96, 128]]) {
    const src = values(rows * cols);
    const expected = new Float32Array(rows * cols);
    for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) expected[j * rows + i] = src[i * cols + j];
    const [ts, td] = [tf.tensor1d(src), tf.zeros([rows * cols])];
    kernels.exports.transpose(kernels.heapOffset(ts), kernels.heapOffset(td), rows, cols);
    assert.deepEqual(bits(td.dataSync() as Float32Array), bits(expected), `${rows}×${cols}`);
    tf.dispose([ts, td]);
  }
});

test('sumRows sums each column in row order, bit for bit, for 32-column blocks, 4-column groups and leftovers', () => {
  for (const [rows, cols] of [[25, 32], [7, 71], [130, 64], [3, 5], [1, 37]]) {
    const src = values(rows * cols);
    const expected = new Float32Array(cols);
    for (let j = 0; j < cols; j++) {
      let s = 0;
      for (let i = 0; i < rows; i++) s = f(s + src[i * cols + j]);
      expected[j] = s;
    }
    const [ts, td] = [tf.tensor1d(src), tf.zeros([cols])];
    kernels.exports.sumRows(kernels.heapOffset(ts), kernels.heapOffset(td), rows, cols);
    assert.deepEqual(bits(td.dataSync() as Float32Array), bits(expected), `${rows}×${cols}`);
    tf.dispose([ts, td]);
  }
});

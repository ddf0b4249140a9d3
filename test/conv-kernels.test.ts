import { before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '#tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { fusedMultiplyAddAvailable, type KernelBuild } from '../src/backend/kernel-build.ts';
import { instantiateKernels, simdKernelsFor, type KernelExports, type SimdKernels } from '../src/backend/simd-kernels.ts';
import { initWasmBackend } from '../src/backend/wasm-kernels.ts';
import { createRng } from '../src/util/rng.ts';

// im2col and col2im of both kernel builds, called directly on heap buffers and compared bit for
// bit with a plain tap-by-tap reference: im2col is a copy, col2im's sums must keep their order
// (rows in order, taps in order) because training results depend on the rounding. The kernels
// copy and add whole runs of a patch row with vectors, may store a vector past a short run (to be
// overwritten) and load one past it: guard zones around every buffer catch a write outside it.
const rng = createRng(4242);
const GUARD = 64;
const SENTINEL = 12345.5;

let kernels: SimdKernels;
const builds = new Map<KernelBuild, KernelExports>();
before(async () => {
  tf.enableProdMode();
  await initWasmBackend();
  await tf.setBackend('wasm');
  const backend = tf.backend() as BackendWasm;
  kernels = simdKernelsFor(backend)!;
  builds.set('baseline', instantiateKernels(backend, 'baseline')!);
  if (fusedMultiplyAddAvailable()) builds.set('relaxed', instantiateKernels(backend, 'relaxed')!);
});

interface Geometry { batch: number; h: number; w: number; c: number; kh: number; kw: number; sh: number; sw: number; padTop: number; padLeft: number; oh: number; ow: number }

/** [batch, h, w, c, kh, kw, sh, sw, padTop, padLeft, padBottom, padRight]: the conv AE's layers, one and few channels, wide pads, kernels wider than the image. */
const CASES: number[][] = [
  [3, 28, 28, 1, 3, 3, 2, 2, 0, 0, 1, 1], // encoder conv 1, decoder deconv 2
  [2, 14, 14, 32, 3, 3, 2, 2, 0, 0, 1, 1], // encoder conv 2, decoder deconv 1
  [2, 9, 10, 1, 3, 3, 1, 1, 1, 1, 1, 1], // every position gets 9 additions
  [2, 11, 11, 1, 5, 5, 2, 2, 2, 2, 2, 2],
  [2, 7, 9, 2, 3, 3, 2, 2, 1, 1, 1, 1],
  [2, 7, 9, 3, 3, 2, 1, 3, 0, 1, 2, 1],
  [1, 8, 8, 5, 3, 3, 2, 2, 1, 1, 0, 0],
  [2, 6, 6, 4, 3, 3, 1, 1, 1, 1, 1, 1],
  [2, 6, 7, 8, 5, 5, 1, 2, 2, 2, 2, 2],
  [2, 5, 5, 1, 1, 1, 2, 2, 0, 0, 0, 0],
  [2, 5, 4, 1, 3, 3, 1, 1, 4, 4, 4, 4], // pads wider than the kernel: whole patches of zeros
  [2, 2, 2, 1, 3, 3, 1, 1, 1, 1, 1, 1], // kernel wider than the image: no patch is clear of the padding
  [1, 4, 9, 1, 3, 4, 1, 1, 0, 0, 0, 0], // runs of exactly 4 floats
  [1, 4, 9, 1, 3, 2, 1, 1, 0, 0, 0, 0], // runs of 2 floats
  [1, 6, 9, 1, 3, 3, 2, 1, 0, 0, 0, 0], // x's last row unused: only out's end stops a vector past the last run
];

function geometry([batch, h, w, c, kh, kw, sh, sw, padTop, padLeft, padBottom, padRight]: number[]): Geometry {
  const oh = Math.floor((h + padTop + padBottom - kh) / sh) + 1;
  const ow = Math.floor((w + padLeft + padRight - kw) / sw) + 1;
  return { batch, h, w, c, kh, kw, sh, sw, padTop, padLeft, oh, ow };
}

/** For each patch value in im2col's order, the index into x it comes from, or -1 for padding. */
function sources(g: Geometry): Int32Array {
  const out = new Int32Array(g.batch * g.oh * g.ow * g.kh * g.kw * g.c);
  let at = 0;
  for (let b = 0; b < g.batch; b++) {
    for (let oy = 0; oy < g.oh; oy++) {
      for (let ox = 0; ox < g.ow; ox++) {
        for (let ky = 0; ky < g.kh; ky++) {
          for (let kx = 0; kx < g.kw; kx++) {
            const iy = oy * g.sh + ky - g.padTop;
            const ix = ox * g.sw + kx - g.padLeft;
            const inside = iy >= 0 && iy < g.h && ix >= 0 && ix < g.w;
            for (let ci = 0; ci < g.c; ci++) out[at++] = inside ? ((b * g.h + iy) * g.w + ix) * g.c + ci : -1;
          }
        }
      }
    }
  }
  return out;
}

const bits = (v: Float32Array): number[] => Array.from(new Uint32Array(v.buffer, v.byteOffset, v.length));
const randomValues = (n: number): Float32Array => Float32Array.from({ length: n }, () => (rng.next() * 2 - 1) * 2 ** Math.floor(rng.next() * 8));

/** A heap buffer of `values` between two guard zones of sentinels; returns its tensor and the byte offset of the values. */
function guarded(values: Float32Array): { tensor: tf.Tensor; at: number } {
  const all = new Float32Array(values.length + 2 * GUARD).fill(SENTINEL);
  all.set(values, GUARD);
  const tensor = tf.tensor1d(all);
  return { tensor, at: kernels.heapOffset(tensor) + GUARD * 4 };
}

/** The values between the guard zones, after asserting the zones are untouched. */
function unguarded(tensor: tf.Tensor, n: number, label: string): Float32Array {
  const all = tensor.dataSync() as Float32Array;
  const zones = [...all.subarray(0, GUARD), ...all.subarray(GUARD + n)];
  assert.ok(zones.every((v) => v === SENTINEL), `${label}: wrote outside its buffer`);
  return all.slice(GUARD, GUARD + n);
}

test('im2col of each build copies every patch value from where the tap-by-tap order says, zeros in the padding, nothing outside its buffer', () => {
  for (const [build, exports] of builds) {
    for (const values of CASES) {
      const g = geometry(values);
      const label = `${build} im2col ${values}`;
      const x = randomValues(g.batch * g.h * g.w * g.c);
      const from = sources(g);
      const expected = Float32Array.from(from, (i) => (i < 0 ? 0 : x[i]));
      const input = guarded(x);
      const out = guarded(new Float32Array(from.length).fill(-7));
      exports.im2col(input.at, g.batch, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft, g.oh, g.ow, out.at);
      assert.deepEqual(bits(unguarded(out.tensor, from.length, label)), bits(expected), label);
      tf.dispose([input.tensor, out.tensor]);
    }
  }
});

test('col2im of each build adds every patch value to its source position in row and tap order, bit for bit, nothing outside its buffer', () => {
  for (const [build, exports] of builds) {
    for (const values of CASES) {
      const g = geometry(values);
      const label = `${build} col2im ${values}`;
      const n = g.batch * g.h * g.w * g.c;
      const from = sources(g);
      const cols = randomValues(from.length);
      const expected = new Float32Array(n);
      from.forEach((i, p) => {
        if (i >= 0) expected[i] = Math.fround(expected[i] + cols[p]);
      });
      const input = guarded(cols);
      const dx = guarded(randomValues(n));
      exports.col2im(input.at, g.batch, g.h, g.w, g.c, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft, g.oh, g.ow, dx.at);
      assert.deepEqual(bits(unguarded(dx.tensor, n, label)), bits(expected), label);
      tf.dispose([input.tensor, dx.tensor]);
    }
  }
});

test('the reference sums col2im\'s additions in order: another order changes some bits (so the test above can see one)', () => {
  const g = geometry(CASES[2]);
  const from = sources(g);
  const cols = randomValues(from.length);
  const n = g.batch * g.h * g.w * g.c;
  const forward = new Float32Array(n);
  const backward = new Float32Array(n);
  from.forEach((i, p) => {
    if (i >= 0) forward[i] = Math.fround(forward[i] + cols[p]);
  });
  for (let p = from.length - 1; p >= 0; p--) if (from[p] >= 0) backward[from[p]] = Math.fround(backward[from[p]] + cols[p]);
  assert.notDeepEqual(bits(forward), bits(backward));
});

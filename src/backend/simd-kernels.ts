/**
 * semisup's own WebAssembly SIMD kernels, run on the tfjs wasm backend's heap.
 *
 * Why they exist: XNNPACK (inside the wasm backend) packs a matmul's right operand before every
 * multiply and caches the packing per tensor, which pays off for inference but not in training,
 * where the weights are new after every step: a fresh 784×256 operand took ~60 % longer than a
 * cached one. A plain register-blocked kernel that reads the operand in place is as fast as
 * XNNPACK's cached path. Adam, transposes and bias-gradient sums are memory-bound loops that tfjs
 * runs as many separate kernels (or that were JS loops here); one SIMD pass each is several times
 * cheaper. The same holds for the autoencoder's loss: binary cross-entropy from logits and its
 * gradient in one pass (a polynomial exp instead of tfjs's scalar one).
 *
 * The source is AssemblyScript (src/backend/assembly/kernels.ts), compiled by `npm run
 * build:kernels` twice: kernels.wasm (baseline SIMD) and kernels-relaxed.wasm (fused multiply-add
 * in the matrix products; kernel-build.ts says which one runs); test/simd-kernels.test.ts checks
 * the committed binaries match the source. The module imports the backend's WebAssembly.Memory,
 * so arguments are byte offsets of tensors where tfjs keeps them: no copies in or out.
 */
import fs from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '#tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { kernelBuild, type KernelBuild } from './kernel-build.ts';
import { nativeKernels, nativeKernelsOn } from './native-kernels.ts';

/** The compiled kernels of each build, beside their source. */
export const KERNELS_WASM_PATHS: Record<KernelBuild, string> = {
  baseline: fileURLToPath(new URL('./assembly/kernels.wasm', import.meta.url)),
  relaxed: fileURLToPath(new URL('./assembly/kernels-relaxed.wasm', import.meta.url)),
};

/** Exports of kernels.wasm; pointers are byte offsets into the backend's heap. See assembly/kernels.ts. */
export interface KernelExports {
  gemm(a: number, aRow: number, aCol: number, b: number, ldb: number, c: number, m: number, n: number, k: number, bias: number, flags: number, mask: number): void;
  gemmSparseA(a: number, aRow: number, aCol: number, b: number, ldb: number, c: number, m: number, n: number, k: number, bias: number, flags: number, mask: number, lists: number): void;
  im2col(x: number, batch: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, oh: number, ow: number, out: number): void;
  maskPairs(values: number, words: number, n: number, threshold: number): void;
  step(x: number, out: number, n: number, alpha: number): void;
  binary(op: number, a: number, b: number, out: number, n: number, bSize: number): void;
  col2im(cols: number, batch: number, h: number, w: number, c: number, kh: number, kw: number, sh: number, sw: number, padTop: number, padLeft: number, oh: number, ow: number, dx: number): void;
  transpose(src: number, dst: number, rows: number, cols: number): void;
  sumRows(src: number, dst: number, rows: number, cols: number): void;
  adam(w: number, g: number, m: number, v: number, out: number, n: number, stepSize: number, secondScale: number, beta1: number, beta2: number, epsilon: number): void;
  sigmoidCrossEntropy(z: number, y: number, grad: number, n: number, gradScale: number): number;
  unitBytes(bytes: number, out: number, n: number): void;
}

/** gemm's flags (assembly/kernels.ts): ReLU, bias added after the sum instead of starting it, keep only where a mask is > 0, continue the sums already in C. */
export const GEMM_RELU = 1;
export const GEMM_BIAS_AFTER = 2;
export const GEMM_MASK_POSITIVE = 4;
export const GEMM_ACCUMULATE = 8;

/**
 * The share of zeros in a product's left operand from which gemmSparseA (which skips them, with
 * gemm's bits) is the faster: measured on the autoencoder's and classifier's shapes, a product
 * alone breaks even at 50–60 % zeros, a whole fused step (forward and weight gradient) at about
 * 45–50 %; digits are about 80 % zeros.
 */
export const SPARSE_ZEROS_PAY = 0.6;

/** About this many values (whole rows, rounded up) are looked at to judge a left operand's share of zeros. */
const ZERO_SAMPLE_VALUES = 1 << 14;

/**
 * The share of zeros in up to 64 rows of `values` (row r starting at rowStart(r), `length` long,
 * over `rows` rows in all, sampled evenly), and in no more rows than it takes to reach
 * ZERO_SAMPLE_VALUES values: enough to choose between gemm and gemmSparseA, which give the same
 * bits (digits' 784-wide rows: 21 rows; the conv autoencoder's 3,136-wide ones: 6). The MatMul
 * overrides ask on every large product; 64 rows of the conv autoencoder's 3,136-wide activations
 * (200k values, read in JS) were about 1.6 % of its training time.
 */
export function sampledZeroShare(values: ArrayLike<number>, rows: number, length: number, rowStart: (row: number) => number): number {
  const sampled = Math.min(rows, 64, Math.max(1, Math.ceil(ZERO_SAMPLE_VALUES / length)));
  let zeros = 0;
  for (let s = 0; s < sampled; s++) {
    const start = rowStart(Math.floor((s * rows) / sampled));
    for (let j = start; j < start + length; j++) if (values[j] === 0) zeros++;
  }
  return sampled === 0 ? 0 : zeros / (sampled * length);
}

/**
 * Whether gemmSparseA gives gemm's bits for sums that start from `bias` (null: from +0, as without
 * a bias or with GEMM_BIAS_AFTER): a skipped zero term adds ±0, which changes only a sum of −0
 * (−0 + 0 = +0), and a sum is −0 only where it starts at −0 (rounding to nearest, x + y is −0 only
 * when both are): so no bias value may be −0.
 */
export function skipsZerosExactly(bias: ArrayLike<number> | null): boolean {
  if (bias == null) return true;
  for (let j = 0; j < bias.length; j++) if (Object.is(bias[j], -0)) return false;
  return true;
}

/** The kernels bound to one wasm backend, taking tensors (TensorInfo) instead of offsets. */
export interface SimdKernels {
  /** The module's exports, for callers that keep their own buffers and pass byte offsets (see heapOffset). */
  exports: KernelExports;
  /** Byte offset of a tensor's data in the backend's heap. */
  heapOffset(info: tf.TensorInfo): number;
  /** The heap as float32s (index = byte offset / 4); ask again after any allocation, which may grow the memory and replace it. */
  heapF32(): Float32Array;
  /** The heap as bytes (same caveat). */
  heapBytes(): Uint8Array;
  /**
   * c = op(a)·b (+ bias) (ReLU if relu) for float32 matrices; a is [m,k], or [k,m] when aTransposed; b is [k,n] row-major; offsets in
   * elements let callers step through batches. With `lists` (scratch of m·(2k+1) values) the product skips a's zeros (gemmSparseA: the same bits).
   */
  gemm(args: { a: tf.TensorInfo; aOffset?: number; aTransposed: boolean; b: tf.TensorInfo; bOffset?: number; c: tf.TensorInfo; cOffset?: number; m: number; n: number; k: number; bias?: tf.TensorInfo; relu: boolean; lists?: tf.TensorInfo }): void;
  /** dst = the [cols, rows] transpose of the [rows, cols] matrix at element offset srcOffset/dstOffset. */
  transpose(src: tf.TensorInfo, dst: tf.TensorInfo, rows: number, cols: number, srcOffset?: number, dstOffset?: number): void;
  /** dst[cols] = column sums of src viewed as [rows, cols]. */
  sumRows(src: tf.TensorInfo, dst: tf.TensorInfo, rows: number, cols: number): void;
  /** One Adam step: m and v updated in place, the new weights written to out (see assembly/kernels.ts). */
  adam(w: tf.TensorInfo, g: tf.TensorInfo, m: tf.TensorInfo, v: tf.TensorInfo, out: tf.TensorInfo, hyper: { stepSize: number; secondScale: number; beta1: number; beta2: number; epsilon: number }): void;
  /** Σ binary cross-entropy of sigmoid(z) against y (same shapes), and grad = (sigmoid(z) − y)·gradScale. */
  sigmoidCrossEntropy(z: tf.TensorInfo, y: tf.TensorInfo, grad: tf.TensorInfo, gradScale: number): number;
}

const compiled = new Map<KernelBuild, WebAssembly.Module>();
const bound = new WeakMap<BackendWasm, SimdKernels | null>();

/** The heap the backend's Emscripten module exported (not part of tfjs's typed API). */
function backendMemory(backend: BackendWasm): WebAssembly.Memory | null {
  const memory = (backend.wasm as unknown as { asm?: { memory?: unknown } }).asm?.memory;
  return memory instanceof WebAssembly.Memory ? memory : null;
}

/** One build of the kernels instantiated on `backend`'s heap (tests compare the builds). */
export function instantiateKernels(backend: BackendWasm, build: KernelBuild): KernelExports | null {
  const memory = backendMemory(backend);
  if (memory == null) return null;
  let module = compiled.get(build);
  if (module == null) {
    module = new WebAssembly.Module(fs.readFileSync(KERNELS_WASM_PATHS[build]));
    compiled.set(build, module);
  }
  return new WebAssembly.Instance(module, { env: { memory } }).exports as unknown as KernelExports;
}

/**
 * The kernels for `backend` in this process's build, instantiated on first use (a 10 KB module:
 * synchronous compile), or null when the backend's memory is not reachable (another
 * tfjs-backend-wasm build): callers then keep the stock kernels.
 */
export function simdKernelsFor(backend: BackendWasm): SimdKernels | null {
  if (bound.has(backend)) return bound.get(backend) ?? null;
  const memory = backendMemory(backend);
  const exports = memory != null ? instantiateKernels(backend, kernelBuild()) : null;
  const kernels = memory != null && exports != null ? bindKernels(backend, memory, withNativeKernels(exports, memory)) : null;
  bound.set(backend, kernels);
  return kernels;
}

/** The kernels with those the native addon has (products, Adam, transposes, the loss) run by it where it runs (native-kernels.ts: the same bits, faster). */
function withNativeKernels(exports: KernelExports, memory: WebAssembly.Memory): KernelExports {
  const { addon } = nativeKernels(kernelBuild() === 'relaxed');
  return addon ? { ...exports, ...nativeKernelsOn(addon, memory) } : exports;
}

/** The active backend and its kernels when that backend is wasm and our kernels run on it; else null (callers keep tfjs's path). */
export function activeSimdKernels(): { backend: BackendWasm; kernels: SimdKernels } | null {
  if (tf.getBackend() !== 'wasm') return null;
  const backend = tf.backend() as BackendWasm;
  const kernels = simdKernelsFor(backend);
  return kernels != null ? { backend, kernels } : null;
}

function bindKernels(backend: BackendWasm, memory: WebAssembly.Memory, k: KernelExports): SimdKernels {
  let heap = new Float32Array(memory.buffer);
  let bytes = new Uint8Array(memory.buffer);
  /** Byte offset of a tensor's data in the heap, plus an element offset. */
  const at = (info: tf.TensorInfo, elements = 0): number => {
    const data = backend.dataIdMap.get(info.dataId);
    if (data == null) throw new Error('simd kernel: tensor is not on the wasm backend');
    return data.memoryOffset + elements * 4;
  };
  // The methods call through `bound.exports`, so a profiler may swap in timed exports (src/bench).
  const bound: SimdKernels = {
    exports: k,
    heapOffset: (info) => at(info),
    heapF32: () => {
      if (heap.buffer !== memory.buffer) heap = new Float32Array(memory.buffer);
      return heap;
    },
    heapBytes: () => {
      if (bytes.buffer !== memory.buffer) bytes = new Uint8Array(memory.buffer);
      return bytes;
    },
    gemm: ({ a, aOffset = 0, aTransposed, b, bOffset = 0, c, cOffset = 0, m, n, k: inner, bias, relu, lists }) => {
      // A(i,p) lives at i·aRow + p·aCol: [m,k] row-major, or its transpose stored as [k,m].
      const [aRow, aCol] = aTransposed ? [1, m] : [inner, 1];
      const args = [at(a, aOffset), aRow, aCol, at(b, bOffset), n, at(c, cOffset), m, n, inner, bias ? at(bias) : 0, relu ? GEMM_RELU : 0, 0] as const;
      if (lists) bound.exports.gemmSparseA(...args, at(lists));
      else bound.exports.gemm(...args);
    },
    transpose: (src, dst, rows, cols, srcOffset = 0, dstOffset = 0) => bound.exports.transpose(at(src, srcOffset), at(dst, dstOffset), rows, cols),
    sumRows: (src, dst, rows, cols) => bound.exports.sumRows(at(src), at(dst), rows, cols),
    adam: (w, g, m, v, out, h) => bound.exports.adam(at(w), at(g), at(m), at(v), at(out), w.shape.reduce((p, q) => p * q, 1), h.stepSize, h.secondScale, h.beta1, h.beta2, h.epsilon),
    sigmoidCrossEntropy: (z, y, grad, gradScale) => bound.exports.sigmoidCrossEntropy(at(z), at(y), at(grad), z.shape.reduce((p, q) => p * q, 1), gradScale),
  };
  return bound;
}

/**
 * Kernel overrides that make the tfjs `wasm` backend (4.22) fit for training.
 *
 * The stock backend has these problems for us:
 *  - `BatchMatMul` / `_FusedMatMul` with `transposeA`/`transposeB` fall off XNNPACK's fast path
 *    (~3 GFLOP/s instead of ~40), every Dense layer's backward pass asks for a transpose, and even
 *    the fast path re-packs a new right operand on every call (training's weights are new after
 *    every step);
 *  - there is no `Conv2DBackpropFilter`, so a conv model cannot train at all;
 *  - `Conv2DBackpropInput` (conv backward, conv2dTranspose forward) is correct but a scalar loop;
 *  - `Identity` copies buffers and `Sum` over the batch axis transposes its whole input first.
 * Matmuls, transposes and bias-gradient sums run on our own SIMD kernels (simd-kernels.ts), which
 * work in place on the backend's heap; the conv overrides are composed from kernels the backend
 * already runs fast (depthwise and regular conv through XNNPACK, Pad, Reshape). Results equal
 * cpu's up to float32 summation order. All are registered for 'wasm' only; the stock kernels stay
 * reachable through `originals` for the cases an override does not cover.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths, type BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { simdKernelsFor } from './simd-kernels.ts';

type TensorInfo = tf.TensorInfo;
type Attrs = tf.NamedAttrMap;

const BACKEND = 'wasm';

/** Stock kernel configs we replaced, so our overrides can call them and so re-registration is idempotent. */
const originals = new Map<string, tf.KernelConfig>();
/** Kernel functions we registered; a registry entry holding one of these is already ours. */
const ourKernelFuncs = new WeakSet<tf.KernelFunc>();

// ---------------------------------------------------------------------------------------------
// Small helpers for calling backend kernels directly (no engine bookkeeping, no tape).

/** Run the kernel registered for wasm under `name` (the stock one if we replaced it). */
function runStock(backend: BackendWasm, name: string, inputs: tf.NamedTensorInfoMap, attrs: Attrs = {}): TensorInfo {
  const config = originals.get(name) ?? tf.getKernel(name, BACKEND);
  if (config == null) throw new Error(`wasm kernel ${name} is not registered`);
  const out = config.kernelFunc({ inputs, backend, attrs });
  if (Array.isArray(out)) throw new Error(`wasm kernel ${name} returned several outputs`);
  return out;
}

function release(backend: BackendWasm, ...infos: TensorInfo[]): void {
  for (const info of infos) backend.disposeData(info.dataId);
}

/** A view of `x` with another shape; shares the data (the caller releases it like any output). */
function reshape(backend: BackendWasm, x: TensorInfo, shape: number[]): TensorInfo {
  return runStock(backend, 'Reshape', { x }, { shape });
}

function transpose(backend: BackendWasm, x: TensorInfo, perm: number[]): TensorInfo {
  return runStock(backend, 'Transpose', { x }, { perm });
}

/** Swap the last two axes: our SIMD transpose for float32 (batch by batch), else the stock kernel. */
function transposeLast2(backend: BackendWasm, x: TensorInfo): TensorInfo {
  const rank = x.shape.length;
  const rows = x.shape[rank - 2];
  const cols = x.shape[rank - 1];
  const kernels = simdKernelsFor(backend);
  if (x.dtype === 'float32' && kernels != null) {
    const batch = x.shape.slice(0, -2).reduce((p, q) => p * q, 1);
    const out = backend.makeOutput([...x.shape.slice(0, -2), cols, rows], 'float32');
    for (let i = 0; i < batch; i++) kernels.transpose(x, out, rows, cols, i * rows * cols, i * rows * cols);
    return out;
  }
  const perm = Array.from({ length: rank }, (_, i) => i);
  perm[rank - 2] = rank - 1;
  perm[rank - 1] = rank - 2;
  return transpose(backend, x, perm);
}

type Activation = 'linear' | 'relu';

/**
 * op(a)·op(b) (+ bias, ReLU) with our SIMD gemm, batch by batch (a batch of one broadcasts).
 * A transposed a is read in place; a transposed b is transposed once first (the gemm streams b's
 * rows). Returns null for what the gemm does not cover (other dtypes or activations, a bias that
 * is not one value per column, kernels unavailable): the caller then uses the stock kernel.
 */
function gemmMatMul(
  backend: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  bias?: TensorInfo,
  activation: string = 'linear',
): TensorInfo | null {
  const kernels = simdKernelsFor(backend);
  if (kernels == null || a.dtype !== 'float32' || b.dtype !== 'float32') return null;
  if (activation !== 'linear' && activation !== 'relu') return null;
  const ra = a.shape.length;
  const rb = b.shape.length;
  const m = transposeA ? a.shape[ra - 1] : a.shape[ra - 2];
  const k = transposeA ? a.shape[ra - 2] : a.shape[ra - 1];
  const n = transposeB ? b.shape[rb - 2] : b.shape[rb - 1];
  const kB = transposeB ? b.shape[rb - 1] : b.shape[rb - 2];
  if (k !== kB) throw new Error(`matMul: inner sizes ${k} and ${kB} of shapes ${a.shape} and ${b.shape} differ`);
  if (bias != null && (bias.dtype !== 'float32' || tf.util.sizeFromShape(bias.shape) !== n)) return null;
  const batchA = tf.util.sizeFromShape(a.shape.slice(0, -2));
  const batchB = tf.util.sizeFromShape(b.shape.slice(0, -2));
  if (batchA !== batchB && batchA !== 1 && batchB !== 1) return null;
  const outBatch = tf.backend_util.assertAndGetBroadcastShape(a.shape.slice(0, -2), b.shape.slice(0, -2));
  const rowsB = transposeB ? transposeLast2(backend, b) : b;
  try {
    const out = backend.makeOutput([...outBatch, m, n], 'float32');
    for (let i = 0; i < Math.max(batchA, batchB); i++) {
      kernels.gemm({
        a, aOffset: (batchA === 1 ? 0 : i) * m * k, aTransposed: transposeA,
        b: rowsB, bOffset: (batchB === 1 ? 0 : i) * k * n,
        c: out, cOffset: i * m * n, m, n, k, bias, relu: (activation as Activation) === 'relu',
      });
    }
    return out;
  } finally {
    if (transposeB) release(backend, rowsB);
  }
}

/**
 * Run a stock matmul kernel on its fast no-transpose path: any transposed operand is materialised
 * first (and released after), then `run` gets the operands as they are to be multiplied.
 */
function withoutTransposes(
  backend: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  run: (a: TensorInfo, b: TensorInfo) => TensorInfo,
): TensorInfo {
  const at = transposeA ? transposeLast2(backend, a) : a;
  const bt = transposeB ? transposeLast2(backend, b) : b;
  try {
    return run(at, bt);
  } finally {
    if (transposeA) release(backend, at);
    if (transposeB) release(backend, bt);
  }
}

/** a·b (with optional transposes): our gemm, or else the stock kernel without transposes. */
function matMulFast(
  backend: BackendWasm,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): TensorInfo {
  return gemmMatMul(backend, a, b, transposeA, transposeB)
    ?? withoutTransposes(backend, a, b, transposeA, transposeB, (at, bt) => runStock(backend, 'BatchMatMul', { a: at, b: bt }, { transposeA: false, transposeB: false }));
}

// ---------------------------------------------------------------------------------------------
// BatchMatMul: the stock kernel leaves XNNPACK's fast path when asked to transpose an operand
// (~10x slower), and on that path packs b anew for every new tensor (training's weights are new
// after every step). Dense layers' gradients are transposed calls (dX = dY·Wᵀ, dW = Xᵀ·dY).

function batchMatMulKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
  const { transposeA, transposeB } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean };
  return matMulFast(backend as BackendWasm, a, b, !!transposeA, !!transposeB);
}

// ---------------------------------------------------------------------------------------------
// _FusedMatMul: Dense layers call it (matmul + bias, ReLU fused when that is the activation).
// Our gemm adds the bias and applies ReLU as it stores; other activations (and PReLU weights) go
// to the stock kernel, with transposed operands materialised first as for BatchMatMul.

function fusedMatMulKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const be = backend as BackendWasm;
  const { a, b, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
  const { transposeA, transposeB, activation } = (attrs ?? {}) as { transposeA?: boolean; transposeB?: boolean; activation?: string };
  if (preluActivationWeights == null) {
    const ours = gemmMatMul(be, a!, b!, !!transposeA, !!transposeB, bias, activation ?? 'linear');
    if (ours != null) return ours;
  }
  return withoutTransposes(be, a!, b!, !!transposeA, !!transposeB, (at, bt) => {
    const fusedInputs: tf.NamedTensorInfoMap = { a: at, b: bt };
    if (bias != null) fusedInputs.bias = bias;
    if (preluActivationWeights != null) fusedInputs.preluActivationWeights = preluActivationWeights;
    return runStock(be, '_FusedMatMul', fusedInputs, { ...attrs, transposeA: false, transposeB: false });
  });
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropFilter: missing from the wasm backend. dW = patchesᵀ·dY, where the patches
// (im2col) come from one depthwise convolution with a one-hot filter: output channel
// ci*KH*KW + (kh*KW + kw) of that conv is x[.., oy*s+kh-pad, ox*s+kw-pad, ci], with the
// backend's own padding and stride handling. Conv3DBackpropFilterV2 is not used: it is wrong on
// wasm for strides > 1.

/** One-hot depthwise filter [KH, KW, CI, KH*KW] that copies each tap into its own channel. */
function im2colFilter(backend: BackendWasm, kh: number, kw: number, ci: number): TensorInfo {
  const taps = kh * kw;
  const values = new Float32Array(taps * ci * taps);
  for (let t = 0; t < taps; t++) {
    for (let c = 0; c < ci; c++) values[(t * ci + c) * taps + t] = 1;
  }
  return backend.makeOutput([kh, kw, ci, taps], 'float32', undefined, values);
}

function checkChannelsLast(kernel: string, dataFormat: unknown): void {
  if (dataFormat != null && dataFormat !== 'NHWC' && dataFormat !== 'channelsLast') {
    throw new Error(`${kernel} override on wasm supports only NHWC data, got dataFormat '${String(dataFormat)}'`);
  }
}

function conv2DBackpropFilterKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const be = backend as BackendWasm;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, filterShape } = attrs as unknown as {
    strides: number | [number, number];
    pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
    dataFormat: string;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    filterShape: [number, number, number, number];
  };
  checkChannelsLast('Conv2DBackpropFilter', dataFormat);
  const [kh, kw, ci, co] = filterShape;
  const taps = kh * kw;
  const k = ci * taps;
  const rows = dy.shape[0] * dy.shape[1] * dy.shape[2];

  const filter = im2colFilter(be, kh, kw, ci);
  const depthwiseAttrs: Attrs = { strides, pad, dilations: [1, 1], dataFormat: 'NHWC' };
  if (dimRoundingMode != null) depthwiseAttrs.dimRoundingMode = dimRoundingMode;
  const patches4d = runStock(be, 'DepthwiseConv2dNative', { x, filter }, depthwiseAttrs);
  release(be, filter);
  const patches = reshape(be, patches4d, [rows, k]);
  const dy2d = reshape(be, dy, [rows, co]);
  release(be, patches4d);

  let result: TensorInfo;
  if (k <= co) {
    // [k, rows]·[rows, co] → [k, co] laid out as [ci, kh, kw, co].
    const dw = matMulFast(be, patches, dy2d, true, false);
    const dw4 = reshape(be, dw, [ci, kh, kw, co]);
    result = transpose(be, dw4, [1, 2, 0, 3]);
    release(be, dw, dw4);
  } else {
    // [co, rows]·[rows, k] → [co, k] laid out as [co, ci, kh, kw]: cheaper when co < k.
    const dwT = matMulFast(be, dy2d, patches, true, false);
    const dwT4 = reshape(be, dwT, [co, ci, kh, kw]);
    result = transpose(be, dwT4, [2, 3, 1, 0]);
    release(be, dwT, dwT4);
  }
  release(be, patches, dy2d);
  return result;
}

// ---------------------------------------------------------------------------------------------
// Conv2DBackpropInput: the stock kernel is correct but a scalar loop (~2 GFLOP/s). dX is an
// ordinary convolution of dY, dilated by the stride (zeros inserted between rows/cols) and padded
// by K-1-pad, with the filter rotated 180° and its in/out channels swapped; that conv runs in
// XNNPACK (~40 GFLOP/s, though stride s wastes 1-1/s² of it on the inserted zeros). XNNPACK is
// poor at very few output channels (e.g. a decoder's final 1-channel image), so below
// MIN_CHANNELS_FOR_DILATED_CONV channels of dX the stock loop is faster and is kept.

const MIN_CHANNELS_FOR_DILATED_CONV = 8;

function conv2DBackpropInputKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const be = backend as BackendWasm;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } = attrs as unknown as {
    strides: number | [number, number];
    pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
    dataFormat: string;
    dimRoundingMode?: 'floor' | 'round' | 'ceil';
    inputShape: [number, number, number, number];
  };
  checkChannelsLast('Conv2DBackpropInput', dataFormat);
  if (inputShape[3] < MIN_CHANNELS_FOR_DILATED_CONV) return runStock(be, 'Conv2DBackpropInput', inputs, attrs);
  const info = tf.backend_util.computeConv2DInfo(
    inputShape, filter.shape as [number, number, number, number], strides, 1, pad, dimRoundingMode, false, 'channelsLast');
  const { batchSize, inHeight, inWidth, inChannels, outHeight, outWidth, outChannels, strideHeight: sh, strideWidth: sw } = info;
  const { filterHeight: kh, filterWidth: kw } = info;
  const { top, left } = info.padInfo;

  // Zero-insert dY by the stride: [N, OH, OW, C] → [N, OH*sh, OW*sw, C] (values at multiples of s).
  let dilated = dy;
  if (sh > 1 || sw > 1) {
    const expanded = reshape(be, dy, [batchSize, outHeight, 1, outWidth, 1, outChannels]);
    const padded = runStock(be, 'PadV2', { x: expanded }, {
      paddings: [[0, 0], [0, 0], [0, sh - 1], [0, 0], [0, sw - 1], [0, 0]], constantValue: 0,
    });
    dilated = reshape(be, padded, [batchSize, outHeight * sh, outWidth * sw, outChannels]);
    release(be, expanded, padded);
  }
  // Pad so a 'valid' stride-1 conv yields exactly inHeight × inWidth rows/cols. The dilated
  // height is OH*sh (trailing zeros included); the conv needs inHeight + kh - 1 rows in total.
  const padTop = kh - 1 - top;
  const padLeft = kw - 1 - left;
  const padBottom = inHeight + kh - 1 - padTop - outHeight * sh;
  const padRight = inWidth + kw - 1 - padLeft - outWidth * sw;
  let convIn: TensorInfo;
  let ownsConvIn: boolean;
  if (padTop >= 0 && padLeft >= 0 && padBottom >= 0 && padRight >= 0) {
    if (padTop === 0 && padLeft === 0 && padBottom === 0 && padRight === 0) {
      convIn = dilated;
      ownsConvIn = dilated !== dy;
    } else {
      convIn = runStock(be, 'PadV2', { x: dilated }, {
        paddings: [[0, 0], [padTop, padBottom], [padLeft, padRight], [0, 0]], constantValue: 0,
      });
      ownsConvIn = true;
      if (dilated !== dy) release(be, dilated);
    }
  } else {
    // Negative padding (e.g. odd sizes with 'valid'): pad the positive sides, crop the rest.
    const padded = runStock(be, 'PadV2', { x: dilated }, {
      paddings: [[0, 0], [Math.max(padTop, 0), Math.max(padBottom, 0)], [Math.max(padLeft, 0), Math.max(padRight, 0)], [0, 0]],
      constantValue: 0,
    });
    if (dilated !== dy) release(be, dilated);
    const begin = [0, Math.max(-padTop, 0), Math.max(-padLeft, 0), 0];
    const size = [batchSize, inHeight + kh - 1, inWidth + kw - 1, outChannels];
    convIn = runStock(be, 'Slice', { x: padded }, { begin, size });
    release(be, padded);
    ownsConvIn = true;
  }
  // Filter [KH, KW, Cin, Cout] → rotated 180° and swapped: [KH, KW, Cout, Cin].
  const flipped = runStock(be, 'Reverse', { x: filter }, { dims: [0, 1] });
  const swapped = transpose(be, flipped, [0, 1, 3, 2]);
  release(be, flipped);
  const dx = runStock(be, 'Conv2D', { x: convIn, filter: swapped }, {
    strides: [1, 1], pad: 'valid', dataFormat: 'NHWC', dilations: [1, 1],
  });
  release(be, swapped);
  if (ownsConvIn) release(be, convIn);
  if (dx.shape[1] !== inHeight || dx.shape[2] !== inWidth || dx.shape[3] !== inChannels) {
    throw new Error(`Conv2DBackpropInput override produced shape ${dx.shape}, expected ${inputShape}`);
  }
  return dx;
}

// ---------------------------------------------------------------------------------------------
// Identity: the stock kernel copies the buffer; the engine calls it for every tf.clone and for
// each gradient it hands back (~45 copies per dense-AE step). Tensors are immutable (variables
// change their dataId on assign), so share the buffer by reference count, as the cpu backend does.

function identityKernel({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): TensorInfo {
  const be = backend as BackendWasm;
  const x = inputs.x as TensorInfo;
  if (x.dtype === 'string') return runStock(be, 'Identity', inputs);
  be.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

// ---------------------------------------------------------------------------------------------
// Sum over leading axes (bias gradients: [batch, units] → [units], [N, H, W, C] → [C]): the stock
// kernel first transposes the whole input so the reduced axes come last. Our SIMD column sum
// reads the input once, in order.

function sumKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const be = backend as BackendWasm;
  const x = inputs.x as TensorInfo;
  const rank = x.shape.length;
  const axes = tf.util.parseAxisParam(attrs?.axis as number | number[], x.shape).sort((p, q) => p - q);
  const leading = axes.length > 0 && axes.length < rank && axes.every((a, i) => a === i);
  const kernels = simdKernelsFor(be);
  if (x.dtype !== 'float32' || !leading || kernels == null) return runStock(be, 'Sum', inputs, attrs);
  const rows = x.shape.slice(0, axes.length).reduce((p, q) => p * q, 1);
  const kept = x.shape.slice(axes.length);
  const out = be.makeOutput(attrs?.keepDims ? [...axes.map(() => 1), ...kept] : kept, 'float32');
  kernels.sumRows(x, out, rows, tf.util.sizeFromShape(kept));
  return out;
}

// ---------------------------------------------------------------------------------------------

interface Override {
  kernelName: string;
  kernelFunc: tf.KernelFunc;
}

const OVERRIDES: Override[] = [
  { kernelName: 'BatchMatMul', kernelFunc: batchMatMulKernel as tf.KernelFunc },
  { kernelName: '_FusedMatMul', kernelFunc: fusedMatMulKernel as tf.KernelFunc },
  { kernelName: 'Conv2DBackpropFilter', kernelFunc: conv2DBackpropFilterKernel as tf.KernelFunc },
  { kernelName: 'Conv2DBackpropInput', kernelFunc: conv2DBackpropInputKernel as tf.KernelFunc },
  { kernelName: 'Identity', kernelFunc: identityKernel as tf.KernelFunc },
  { kernelName: 'Sum', kernelFunc: sumKernel as tf.KernelFunc },
];
for (const o of OVERRIDES) ourKernelFuncs.add(o.kernelFunc);

/**
 * Replace or add the wasm kernels that training needs to be fast and possible (transposed
 * matmuls, conv filter/input gradients); idempotent, returns the kernel names it owns.
 */
export function registerWasmKernelOverrides(): string[] {
  if (tf.getKernel('BatchMatMul', BACKEND) == null) {
    throw new Error('the wasm backend is not registered; import @tensorflow/tfjs-backend-wasm first');
  }
  for (const { kernelName, kernelFunc } of OVERRIDES) {
    const current = tf.getKernel(kernelName, BACKEND);
    if (current != null && ourKernelFuncs.has(current.kernelFunc)) continue;
    if (current != null) {
      originals.set(kernelName, current);
      tf.unregisterKernel(kernelName, BACKEND);
    }
    // Keep the stock setup/dispose hooks: they bind the wasm functions our overrides call.
    tf.registerKernel({
      kernelName,
      backendName: BACKEND,
      kernelFunc,
      setupFunc: current?.setupFunc,
      disposeFunc: current?.disposeFunc,
    });
  }
  return OVERRIDES.map((o) => o.kernelName);
}

/** Restore the stock wasm kernels (for A/B timing and tests); the inverse of registerWasmKernelOverrides. */
export function unregisterWasmKernelOverrides(): void {
  for (const { kernelName } of OVERRIDES) {
    const current = tf.getKernel(kernelName, BACKEND);
    if (current == null || !ourKernelFuncs.has(current.kernelFunc)) continue;
    tf.unregisterKernel(kernelName, BACKEND);
    const original = originals.get(kernelName);
    if (original != null) tf.registerKernel(original);
  }
}

/** Directory holding the backend's .wasm binaries, resolved from node_modules rather than hard-coded. */
export function wasmBinaryDir(): string {
  const require = createRequire(import.meta.url);
  return path.dirname(require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm'));
}

/**
 * Point the wasm backend at its binaries, make it the active backend and install the overrides;
 * the one call a CLI needs before training on wasm. Returns the overridden kernel names.
 */
export async function initWasmBackend(): Promise<string[]> {
  setWasmPaths(wasmBinaryDir() + path.sep);
  const ok = await tf.setBackend(BACKEND);
  if (!ok) throw new Error('could not initialise the tfjs wasm backend');
  return registerWasmKernelOverrides();
}

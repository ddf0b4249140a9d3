/**
 * Kernel overrides that make the tfjs `wasm` backend (4.22) fit for training.
 *
 * The stock backend has these problems for us:
 *  - `BatchMatMul` / `_FusedMatMul` with `transposeA`/`transposeB` fall off XNNPACK's fast path
 *    (~3 GFLOP/s instead of ~40), every Dense layer's backward pass asks for a transpose, and even
 *    the fast path re-packs a new right operand on every call (training's weights are new after
 *    every step);
 *  - `Conv2D` runs in XNNPACK, which likewise packs a new filter on every call;
 *  - there is no `Conv2DBackpropFilter`, so a conv model cannot train at all;
 *  - `Conv2DBackpropInput` (conv backward, conv2dTranspose forward) is correct but a scalar loop;
 *  - `Identity` copies buffers and `Sum` over the batch axis transposes its whole input first;
 *  - `Slice` copies its whole input out of the heap for every slice (model.predict slices its
 *    input into batches of 32: quadratic copying);
 *  - `Step` (every ReLU's gradient) is a scalar loop, and `Cast` copies even to the same dtype.
 * Matmuls, convolutions (as im2col/col2im and matmuls), transposes and bias-gradient sums run on
 * our own SIMD kernels (simd-kernels.ts), which work in place on the backend's heap. Results
 * equal cpu's up to float32 summation order. All are registered for 'wasm' only; the stock kernels stay
 * reachable through `originals` for the cases an override does not cover.
 */
import { createRequire } from 'node:module';
import path from 'node:path';
import * as tf from '#tfjs';
import { setWasmPaths, type BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { GEMM_ACCUMULATE, GEMM_RELU, SPARSE_ZEROS_PAY, sampledZeroShare, simdKernelsFor, skipsZerosExactly, type SimdKernels } from './simd-kernels.ts';

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
  const lists = batchA === 1 && batchB === 1 && skipsZeros(kernels, a, m * n * k, bias) ? backend.makeOutput([m * (2 * k + 1)], 'float32') : undefined;
  try {
    const out = backend.makeOutput([...outBatch, m, n], 'float32');
    for (let i = 0; i < Math.max(batchA, batchB); i++) {
      kernels.gemm({
        a, aOffset: (batchA === 1 ? 0 : i) * m * k, aTransposed: transposeA,
        b: rowsB, bOffset: (batchB === 1 ? 0 : i) * k * n,
        c: out, cOffset: i * m * n, m, n, k, bias, relu: (activation as Activation) === 'relu', lists,
      });
    }
    return out;
  } finally {
    if (transposeB) release(backend, rowsB);
    if (lists) release(backend, lists);
  }
}

/** Products smaller than this (terms) are not worth the look at a. */
const SPARSE_MIN_TERMS = 1 << 20;

/**
 * Whether a product with left operand `a` is better done skipping a's zeros: a large product, a
 * mostly zero `a` (inputs such as digits, whose first-layer products the taped pseudo-label arm
 * runs), judged from a sample of its rows (sampledZeroShare); and a bias the sums may start from with the same
 * result bits as gemm's (skipsZerosExactly: none is −0).
 */
function skipsZeros(kernels: SimdKernels, a: TensorInfo, terms: number, bias?: TensorInfo): boolean {
  if (terms < SPARSE_MIN_TERMS) return false;
  const heap = kernels.heapF32();
  const cols = a.shape[a.shape.length - 1];
  const start = kernels.heapOffset(a) >> 2;
  if (sampledZeroShare(heap, a.shape[a.shape.length - 2], cols, (row) => start + row * cols) < SPARSE_ZEROS_PAY) return false;
  if (bias == null) return true;
  const at = kernels.heapOffset(bias) >> 2;
  return skipsZerosExactly(heap.subarray(at, at + tf.util.sizeFromShape(bias.shape)));
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
// Convolutions (NHWC, no dilation) as matrix products on our gemm. The stock kernels run forward
// convolutions in XNNPACK, which packs a new filter on every call (every call, in training); the
// backend has no Conv2DBackpropFilter; its Conv2DBackpropInput is a scalar loop. With the input's
// patches as rows (im2col; a column per filter tap and input channel, in the order of the
// [KH, KW, CI, CO] filter's rows):
//   Conv2D / FusedConv2D   y  = patches · W   (+ bias, ReLU fused into the gemm's stores)
//   Conv2DBackpropFilter   dW = patchesᵀ · dY  (summed over the batch's chunks in C)
//   Conv2DBackpropInput    dX = col2im(dY · Wᵀ)
// a few images at a time, so the patch matrix stays near CHUNK_FLOATS floats however large the
// batch. Results equal cpu's up to float32 summation order, and do not depend on the chunk size
// (a filter gradient's sums are parked in C between chunks, in the same order). 256 KB of
// patches are still in the core's cache when the gemm reads them right after im2col wrote them:
// conv-autoencoder training ran 1–2 % faster than with 4 MB chunks.

const CHUNK_FLOATS = 1 << 16;

interface ConvGeometry {
  batch: number;
  inH: number; inW: number; inC: number;
  outH: number; outW: number; outC: number;
  kh: number; kw: number; sh: number; sw: number;
  padTop: number; padLeft: number;
  /** Columns of the patch matrix: kh·kw·inC. */
  taps: number;
  /** Images whose patches are made and multiplied at once. */
  chunk: number;
}

type ConvAttrs = {
  strides: number | [number, number];
  pad: 'same' | 'valid' | number | tf.backend_util.ExplicitPadding;
  dataFormat?: string;
  dilations?: number | [number, number];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
};

/** The convolution's sizes, or null where our kernels do not apply (not float32 NHWC, dilated, or our kernels unavailable). */
function convGeometry(backend: BackendWasm, xShape: number[], filterShape: number[], attrs: ConvAttrs, ...tensors: TensorInfo[]): ConvGeometry | null {
  if (simdKernelsFor(backend) == null || tensors.some((t) => t.dtype !== 'float32')) return null;
  if (attrs.dataFormat != null && attrs.dataFormat !== 'NHWC' && attrs.dataFormat !== 'channelsLast') return null;
  const info = tf.backend_util.computeConv2DInfo(
    xShape as [number, number, number, number], filterShape as [number, number, number, number],
    attrs.strides, attrs.dilations ?? 1, attrs.pad, attrs.dimRoundingMode, false, 'channelsLast');
  if (info.dilationHeight !== 1 || info.dilationWidth !== 1) return null;
  const taps = info.filterHeight * info.filterWidth * info.inChannels;
  return {
    batch: info.batchSize, inH: info.inHeight, inW: info.inWidth, inC: info.inChannels,
    outH: info.outHeight, outW: info.outWidth, outC: info.outChannels,
    kh: info.filterHeight, kw: info.filterWidth, sh: info.strideHeight, sw: info.strideWidth,
    padTop: info.padInfo.top, padLeft: info.padInfo.left, taps,
    chunk: Math.max(1, Math.floor(CHUNK_FLOATS / (info.outHeight * info.outWidth * Math.max(taps, info.outChannels)))),
  };
}

/** Run `each(firstImage, images, rowOffset)` over the batch in chunks, with a patch-sized scratch buffer; rows are output positions. */
function byChunks(backend: BackendWasm, g: ConvGeometry, each: (scratch: number, first: number, images: number) => void): void {
  const scratch = backend.makeOutput([g.chunk * g.outH * g.outW, g.taps], 'float32');
  try {
    const at = simdKernelsFor(backend)!.heapOffset(scratch);
    for (let first = 0; first < g.batch; first += g.chunk) each(at, first, Math.min(g.chunk, g.batch - first));
  } finally {
    release(backend, scratch);
  }
}

/** Patches of `images` images of x from `first` into the scratch at `out`. */
function im2col(backend: BackendWasm, g: ConvGeometry, x: TensorInfo, first: number, images: number, out: number): void {
  const k = simdKernelsFor(backend)!;
  k.exports.im2col(k.heapOffset(x) + first * g.inH * g.inW * g.inC * 4, images, g.inH, g.inW, g.inC, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft, g.outH, g.outW, out);
}

/** y = conv(x, filter) (+ bias, ReLU per flags) on our kernels. */
function convForward(backend: BackendWasm, g: ConvGeometry, x: TensorInfo, filter: TensorInfo, bias: TensorInfo | undefined, flags: number): TensorInfo {
  const k = simdKernelsFor(backend)!;
  const out = backend.makeOutput([g.batch, g.outH, g.outW, g.outC], 'float32');
  const rows = g.outH * g.outW;
  byChunks(backend, g, (patches, first, images) => {
    im2col(backend, g, x, first, images, patches);
    k.exports.gemm(patches, g.taps, 1, k.heapOffset(filter), g.outC, k.heapOffset(out) + first * rows * g.outC * 4, images * rows, g.outC, g.taps, bias ? k.heapOffset(bias) : 0, flags, 0);
  });
  return out;
}

function conv2DKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const be = backend as BackendWasm;
  const { x, filter } = inputs as { x: TensorInfo; filter: TensorInfo };
  const g = convGeometry(be, x.shape, filter.shape, attrs as unknown as ConvAttrs, x, filter);
  return g ? convForward(be, g, x, filter, undefined, 0) : runStock(be, 'Conv2D', inputs, attrs);
}

/** Inference's conv + bias + activation: ours for linear and ReLU with one bias per channel, else the stock kernel. */
function fusedConv2DKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const be = backend as BackendWasm;
  const { x, filter, bias, preluActivationWeights } = inputs as Record<string, TensorInfo | undefined>;
  const activation = (attrs?.activation as string | undefined) ?? 'linear';
  const g = convGeometry(be, x!.shape, filter!.shape, attrs as unknown as ConvAttrs, x!, filter!, ...(bias ? [bias] : []));
  const fits = g != null && preluActivationWeights == null && (activation === 'linear' || activation === 'relu') && (bias == null || tf.util.sizeFromShape(bias.shape) === g.outC);
  return fits ? convForward(be, g, x!, filter!, bias, activation === 'relu' ? GEMM_RELU : 0) : runStock(be, 'FusedConv2D', inputs, attrs);
}

/** Missing from the wasm backend: dW = patchesᵀ·dY, chunk by chunk into one sum. */
function conv2DBackpropFilterKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const be = backend as BackendWasm;
  const { x, dy } = inputs as { x: TensorInfo; dy: TensorInfo };
  const { filterShape } = attrs as unknown as { filterShape: [number, number, number, number] };
  const g = convGeometry(be, x.shape, filterShape, attrs as unknown as ConvAttrs, x, dy);
  if (g == null) throw new Error(`Conv2DBackpropFilter on wasm needs float32 NHWC without dilation (x ${x.dtype}, attrs ${JSON.stringify(attrs)})`);
  const k = simdKernelsFor(be)!;
  const dw = be.makeOutput(filterShape, 'float32');
  const rows = g.outH * g.outW;
  byChunks(be, g, (patches, first, images) => {
    im2col(be, g, x, first, images, patches);
    // A = patchesᵀ, read in place: A(i, p) = patches[p, i].
    k.exports.gemm(patches, 1, g.taps, k.heapOffset(dy) + first * rows * g.outC * 4, g.outC, k.heapOffset(dw), g.taps, g.outC, images * rows, 0, first > 0 ? GEMM_ACCUMULATE : 0, 0);
  });
  return dw;
}

/** dX = col2im(dY·Wᵀ), chunk by chunk (images are independent). */
function conv2DBackpropInputKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const be = backend as BackendWasm;
  const { dy, filter } = inputs as { dy: TensorInfo; filter: TensorInfo };
  const { inputShape } = attrs as unknown as { inputShape: [number, number, number, number] };
  const g = convGeometry(be, inputShape, filter.shape, attrs as unknown as ConvAttrs, dy, filter);
  if (g == null) return runStock(be, 'Conv2DBackpropInput', inputs, attrs);
  const k = simdKernelsFor(be)!;
  const filterT = be.makeOutput([g.outC, g.taps], 'float32');
  k.exports.transpose(k.heapOffset(filter), k.heapOffset(filterT), g.taps, g.outC);
  const dx = be.makeOutput(inputShape, 'float32');
  const rows = g.outH * g.outW;
  try {
    byChunks(be, g, (cols, first, images) => {
      k.exports.gemm(k.heapOffset(dy) + first * rows * g.outC * 4, g.outC, 1, k.heapOffset(filterT), g.taps, cols, images * rows, g.taps, g.outC, 0, 0, 0);
      k.exports.col2im(cols, images, g.inH, g.inW, g.inC, g.kh, g.kw, g.sh, g.sw, g.padTop, g.padLeft, g.outH, g.outW, k.heapOffset(dx) + first * g.inH * g.inW * g.inC * 4);
    });
  } finally {
    release(be, filterT);
  }
  return dx;
}

// ---------------------------------------------------------------------------------------------
// Slice: the stock kernel first copies its whole input out of the heap into a new JS buffer, then
// the part it wants back in. model.predict slices its input into batches of 32, so predicting
// 4,000 rows copied 125 × 12.5 MB (and the garbage collector paid again for the buffers). A
// slice that is one contiguous run is one copy inside the heap; others keep the stock kernel.

function sliceKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const be = backend as BackendWasm;
  const x = inputs.x as TensorInfo;
  const kernels = simdKernelsFor(be);
  const { begin, size } = attrs as unknown as { begin: number | number[]; size: number | number[] };
  const [start, extent] = tf.slice_util.parseSliceParams(x as tf.Tensor, begin, size);
  if (kernels == null || x.dtype === 'string' || !tf.slice_util.isSliceContinous(x.shape, start, extent)) return runStock(be, 'Slice', inputs, attrs);
  const out = be.makeOutput(extent, x.dtype);
  const bytesPerElement = tf.util.bytesPerElement(x.dtype);
  const from = kernels.heapOffset(x) + tf.slice_util.computeFlatOffset(start, tf.util.computeStrides(x.shape)) * bytesPerElement;
  kernels.heapBytes().copyWithin(kernels.heapOffset(out), from, from + tf.util.sizeFromShape(extent) * bytesPerElement);
  return out;
}

// ---------------------------------------------------------------------------------------------
// Add and Multiply of float32 tensors of one shape, or of a tensor and a vector over its last axis
// (a bias): a taped conv layer adds its bias and masks its ReLU's gradient this way, and the
// stock kernels' general broadcasting was about a tenth of conv-autoencoder training. One SIMD
// pass; other shapes keep the stock kernels.

/** Our binary kernel where the shapes are the same, or b is a bias over a's last axes; else the stock kernel. */
function binaryKernel(name: 'Add' | 'Multiply', op: number) {
  return ({ inputs, backend }: { inputs: tf.NamedTensorInfoMap; backend: unknown }): TensorInfo => {
    const be = backend as BackendWasm;
    const { a, b } = inputs as { a: TensorInfo; b: TensorInfo };
    const kernels = simdKernelsFor(be);
    const n = tf.util.sizeFromShape(a.shape);
    // b without its leading 1s must be a's last axes (the same shape, or a bias of at least 4 values).
    const lead = b.shape.findIndex((d) => d !== 1);
    const trailing = lead < 0 ? [] : b.shape.slice(lead);
    const bSize = tf.util.sizeFromShape(trailing);
    const fits = trailing.length > 0 && trailing.length <= a.shape.length && tf.util.arraysEqual(trailing, a.shape.slice(a.shape.length - trailing.length)) && (bSize === n || bSize >= 4);
    if (kernels == null || a.dtype !== 'float32' || b.dtype !== 'float32' || n === 0 || !fits) return runStock(be, name, inputs);
    const out = be.makeOutput(a.shape, 'float32');
    kernels.exports.binary(op, kernels.heapOffset(a), kernels.heapOffset(b), kernels.heapOffset(out), n, bSize);
    return out;
  };
}

// ---------------------------------------------------------------------------------------------
// Step (every ReLU's gradient is dy · cast(step(x))): the stock kernel is a scalar loop with a
// branch per value; ours is one SIMD pass. Cast to the dtype a tensor already has copies the
// buffer in the stock kernel; like Identity, ours shares it.

function stepKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const be = backend as BackendWasm;
  const x = inputs.x as TensorInfo;
  const kernels = simdKernelsFor(be);
  if (kernels == null || x.dtype !== 'float32') return runStock(be, 'Step', inputs, attrs);
  const out = be.makeOutput(x.shape, 'float32');
  kernels.exports.step(kernels.heapOffset(x), kernels.heapOffset(out), tf.util.sizeFromShape(x.shape), (attrs?.alpha as number | undefined) ?? 0);
  return out;
}

function castKernel({ inputs, backend, attrs }: { inputs: tf.NamedTensorInfoMap; backend: unknown; attrs?: Attrs }): TensorInfo {
  const be = backend as BackendWasm;
  const x = inputs.x as TensorInfo;
  if (attrs?.dtype !== x.dtype || x.dtype === 'string') return runStock(be, 'Cast', inputs, attrs);
  be.incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
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
  { kernelName: 'Conv2D', kernelFunc: conv2DKernel as tf.KernelFunc },
  { kernelName: 'FusedConv2D', kernelFunc: fusedConv2DKernel as tf.KernelFunc },
  { kernelName: 'Conv2DBackpropFilter', kernelFunc: conv2DBackpropFilterKernel as tf.KernelFunc },
  { kernelName: 'Conv2DBackpropInput', kernelFunc: conv2DBackpropInputKernel as tf.KernelFunc },
  { kernelName: 'Identity', kernelFunc: identityKernel as tf.KernelFunc },
  { kernelName: 'Slice', kernelFunc: sliceKernel as tf.KernelFunc },
  { kernelName: 'Step', kernelFunc: stepKernel as tf.KernelFunc },
  { kernelName: 'Add', kernelFunc: binaryKernel('Add', 0) as tf.KernelFunc },
  { kernelName: 'Multiply', kernelFunc: binaryKernel('Multiply', 1) as tf.KernelFunc },
  { kernelName: 'Cast', kernelFunc: castKernel as tf.KernelFunc },
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

/**
 * One training step of a chain of Dense layers (dense-chain.ts) on the wasm backend, run directly
 * on the backend's heap with semisup's SIMD kernels instead of through tfjs's engine.
 *
 * Why: at the classifiers' batch of 32, a tfjs step is about sixty kernels, each passing through
 * the engine (tensor bookkeeping, the gradient tape, an allocation) for a few microseconds of
 * arithmetic, and the gradient of the first layer multiplies mostly zeros (a digit is about 80 %
 * blank pixels). Here a step is: the inputs gathered into a buffer allocated once (image bytes
 * made floats there); per layer one gemm with the bias and ReLU fused into its stores; the loss
 * and its gradient in one pass; per layer backwards the weight gradient, the bias gradient, the
 * input gradient with the ReLU mask fused, and Adam updating the layer in place; the first
 * layer's products skip the zero inputs.
 *
 * The results are bit-identical to the taped path (test/fused-dense-step.test.ts compares
 * weights after several steps): every product and sum is the one tfjs's operations compute, in
 * the same order — tfjs's forward pass in training adds a ReLU layer's bias after the product
 * (unfused) but starts a linear layer's sum from it (fused), and the kernels' flags say which;
 * skipped zero terms add ±0, which changes only a sum that starts at −0, so a layer whose bias holds
 * −0 keeps the dense product (sparseKeepsBits); the classifier's loss is replayed
 * exactly (categorical-crossentropy.ts) and the autoencoder's is the same kernel the taped path
 * calls (sigmoid-logits.ts).
 *
 * Between steps it also predicts (predictRows), as model.predict would with the weights as they
 * are: fit() scores the validation rows that way after every epoch (50 rows by default: 0.35 ms
 * instead of 0.9 ms through tfjs's engine).
 */
import * as tf from '#tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { activeSimdKernels, GEMM_BIAS_AFTER, GEMM_MASK_POSITIVE, GEMM_RELU, sampledZeroShare, skipsZerosExactly, SPARSE_ZEROS_PAY, type KernelExports, type SimdKernels } from '../backend/simd-kernels.ts';
import type { FeatureValues } from '../data/dataset.ts';
import type { Rng } from '../util/rng.ts';
import { heapAdamOf, type Adam, type HeapAdam } from './adam.ts';
import { drawMaskingWords, gatherRows, maskingThreshold } from './batches.ts';
import { softmaxCrossEntropy } from './categorical-crossentropy.ts';
import { denseChainOf, type DenseLink } from './dense-chain.ts';

/** The losses the fused step computes: binary cross-entropy from a sigmoid's logits (reconstruction), or categorical cross-entropy of a softmax (classes). */
export type FusedLoss = 'sigmoid-logits' | 'softmax';

/** Weights and the Adam that trains them (one per learning-rate group). */
export interface TrainedGroup {
  variables: tf.Variable[];
  optimizer: HeapAdam;
}

interface LayerPlan {
  link: DenseLink;
  /** Forward activations of this layer: [batch, units] (the logits for the last layer). */
  out: tf.TensorInfo;
  /** gemm's flags for this layer as tfjs computes it in training, and in inference (model.predict). */
  forwardFlags: number;
  predictFlags: number;
  kernelOptimizer: HeapAdam | null;
  biasOptimizer: HeapAdam | null;
}

export class FusedDenseStep {
  private readonly buffers: tf.TensorInfo[] = [];
  private readonly layers: LayerPlan[];
  private readonly x: tf.TensorInfo;
  private readonly targets: tf.TensorInfo;
  /** Two gradient buffers [batch, widest layer], used in turn going backwards. */
  private readonly grads: [tf.TensorInfo, tf.TensorInfo];
  private readonly kernelGradient: tf.TensorInfo;
  private readonly biasGradient: tf.TensorInfo;
  private readonly transposed: tf.TensorInfo;
  /** Scratch for the sparse products' lists of non-zero terms. */
  private readonly lists: tf.TensorInfo | null;
  /** The lowest layer with a trained weight: backwards stops there. */
  private readonly lowest: number;
  private readonly k: KernelExports;
  private readonly optimizers: HeapAdam[];
  /** Image bytes of the next step's inputs, on their way into x (see gatherRows). */
  private readonly inputBytes: tf.TensorInfo;
  /** Masking noise drawn for the next step's inputs (see maskingNoise). */
  private readonly maskWords: tf.TensorInfo | null;
  private pendingMask: { threshold: number; count: number } | null = null;
  private lossSum = 0;
  private correctSum = 0;

  constructor(
    private readonly backend: BackendWasm,
    private readonly kernels: SimdKernels,
    chain: DenseLink[],
    private readonly loss: FusedLoss,
    groups: TrainedGroup[],
    private readonly batchSize: number,
    sparseInput: boolean,
  ) {
    this.k = kernels.exports;
    const optimizerOf = new Map<tf.Variable, HeapAdam>();
    for (const g of groups) for (const v of g.variables) optimizerOf.set(v, g.optimizer);
    this.optimizers = groups.map((g) => g.optimizer);
    const features = chain[0].inputs;
    const widest = Math.max(features, ...chain.map((l) => l.units));
    this.x = this.allocate([batchSize, features]);
    const last = chain[chain.length - 1];
    this.targets = this.allocate([batchSize, last.units]);
    this.layers = chain.map((link, i) => ({
      link,
      out: this.allocate([batchSize, link.units]),
      // tfjs in training: a ReLU layer is matMul, then add the bias, then relu; a linear layer (and
      // a sigmoid output, whose logits the loss takes) is one fused matMul starting from the bias;
      // a softmax output is matMul, then add the bias, then the softmax (below).
      forwardFlags: link.activation === 'relu' ? GEMM_RELU | GEMM_BIAS_AFTER : link.activation === 'softmax' ? GEMM_BIAS_AFTER : 0,
      // tfjs in inference (no gradient tape) fuses a ReLU too: a ReLU or linear layer is one matMul
      // starting from the bias, ReLU applied as it stores; a sigmoid or softmax output (activations
      // tfjs-layers' Dense never fuses) is matMul, then add the bias, then the activation's kernel.
      predictFlags: link.activation === 'relu' ? GEMM_RELU : link.activation === 'linear' ? 0 : GEMM_BIAS_AFTER,
      kernelOptimizer: optimizerOf.get(link.kernel) ?? null,
      biasOptimizer: link.bias ? optimizerOf.get(link.bias) ?? null : null,
    }));
    this.lowest = this.layers.findIndex((l) => l.kernelOptimizer != null || l.biasOptimizer != null);
    this.grads = [this.allocate([batchSize, widest]), this.allocate([batchSize, widest])];
    const largest = Math.max(...chain.map((l) => l.inputs * l.units));
    this.kernelGradient = this.allocate([largest]);
    this.transposed = this.allocate([largest]);
    this.biasGradient = this.allocate([Math.max(...chain.map((l) => l.units))]);
    // Lists of non-zero terms per row of the inputs (forward) and of their transpose (the first weight gradient).
    this.lists = sparseInput ? this.allocate([Math.max(batchSize * (2 * features + 1), features * (2 * batchSize + 1))]) : null;
    this.maskWords = loss === 'sigmoid-logits' ? this.allocate([Math.ceil((batchSize * features) / 2)]) : null;
    this.inputBytes = this.allocate([Math.ceil((batchSize * features) / 4)]);
  }

  /**
   * gatherRows(x, features, indices, start, end) (src/train/batches.ts) for the next step, written
   * straight into the heap buffer the step reads its inputs from; image bytes become floats there
   * in one SIMD pass instead of a JS loop. Returns that buffer's values, which stay valid until the
   * step (callers may still change them in place, e.g. with noise or shifts).
   */
  readonly gatherRows = (x: FeatureValues, features: number, indices: ArrayLike<number>, start: number, end: number): Float32Array => {
    const rows = end - start;
    if (rows > this.batchSize) throw new Error(`fused step: ${rows} rows, batch buffers hold ${this.batchSize}`);
    if (features !== this.layers[0].link.inputs) throw new Error(`fused step: rows of ${features} values, the first layer takes ${this.layers[0].link.inputs}`);
    const inputsAt = this.at(this.x);
    const inputs = this.heap().subarray(inputsAt >> 2, (inputsAt >> 2) + rows * features);
    if (x instanceof Uint8Array) {
      const bytes = this.kernels.heapBytes();
      const bytesAt = this.at(this.inputBytes);
      for (let b = start; b < end; b++) bytes.set(x.subarray(indices[b] * features, (indices[b] + 1) * features), bytesAt + (b - start) * features);
      this.k.unitBytes(bytesAt, inputsAt, rows * features);
    } else {
      gatherRows(x, features, indices, start, end, inputs);
    }
    return inputs;
  };

  /**
   * applyMaskingNoise(values, rate, rng) for the next step's inputs: the same draws from rng, at
   * the same point of its stream, but the mask is applied in the heap by the step, after it has
   * taken the clean inputs as targets (one SIMD pass instead of a JS loop).
   */
  readonly maskingNoise = (values: Float32Array, rate: number, rng: Rng): void => {
    if (rate <= 0) return;
    if (this.maskWords == null) throw new Error('fused step: masking noise is for reconstruction');
    const words = new Int32Array(this.kernels.heapBytes().buffer, this.at(this.maskWords), Math.ceil(values.length / 2));
    drawMaskingWords(values.length, rng, words);
    this.pendingMask = { threshold: maskingThreshold(rate), count: values.length };
  };

  /**
   * One step on `rows` rows: inputs (rows × features; gatherRows' values, or any array) and targets
   * (rows × outputs: clean pixels, which may be those same gathered values, or one-hot classes).
   */
  step(inputs: Float32Array, targets: Float32Array, rows: number): void {
    if (rows > this.batchSize) throw new Error(`fused step: ${rows} rows, batch buffers hold ${this.batchSize}`);
    const features = this.layers[0].link.inputs;
    const outputs = this.layers[this.layers.length - 1].link.units;
    const heap = this.heap();
    const inputsAt = this.at(this.x) >> 2;
    if (!this.isHeldAt(inputs, inputsAt)) heap.set(inputs.subarray(0, rows * features), inputsAt);
    if (this.loss === 'sigmoid-logits') {
      // Before the masking noise: a denoising step's targets are its clean inputs.
      const targetsAt = this.at(this.targets) >> 2;
      if (this.isHeldAt(targets, inputsAt)) heap.copyWithin(targetsAt, inputsAt, inputsAt + rows * outputs);
      else heap.set(targets.subarray(0, rows * outputs), targetsAt);
    }
    if (this.pendingMask) {
      if (this.pendingMask.count !== rows * features) throw new Error('fused step: masking noise was drawn for another batch');
      this.k.maskPairs(this.at(this.x), this.at(this.maskWords!), this.pendingMask.count, this.pendingMask.threshold);
      this.pendingMask = null;
    }
    this.forward(rows, 'train');
    const lastGrad = this.grads[0];
    const { loss, correct } = this.lossAndGradient(targets.subarray(0, rows * outputs), rows, lastGrad);
    // What the taped step sums (TrainingLoop): loss · rows, added in float32.
    this.lossSum = Math.fround(this.lossSum + Math.fround(loss * rows));
    this.correctSum += correct;
    this.backward(rows, lastGrad);
  }

  /**
   * The chain's outputs for rows `indices` of x (rows × units of the last layer, probabilities for
   * a softmax), bit for bit what predictRows (fit.ts), i.e. model.predict, gives on this backend
   * with the weights as they are now: the same kernels with the same flags and bias, and each
   * row's outputs do not depend on which rows share its pass. Runs batchSize rows at a time in the
   * step's own buffers, so it is for between steps (fit() calls it after an epoch): called between
   * gatherRows and step it would overwrite that batch, which is refused while masking noise waits.
   */
  readonly predictRows = (x: FeatureValues, features: number, indices: Int32Array): Float32Array => {
    if (this.pendingMask) throw new Error('fused step: predictRows between gatherRows/maskingNoise and the step would overwrite the step\'s inputs');
    const last = this.layers[this.layers.length - 1];
    const width = last.link.units;
    const out = new Float32Array(indices.length * width);
    for (let start = 0; start < indices.length; start += this.batchSize) {
      const end = Math.min(indices.length, start + this.batchSize);
      const rows = end - start;
      this.gatherRows(x, features, indices, start, end);
      this.forward(rows, 'predict');
      out.set(this.outputActivation(rows), start * width);
    }
    return out;
  };

  /** The epoch's float32 sum of loss · rows and count of correct rows (as TrainingLoop.drain names them), reset for the next epoch. */
  takeEpochTotals(): { loss: number; correct: number } {
    const totals = { loss: this.lossSum, correct: this.correctSum };
    this.lossSum = 0;
    this.correctSum = 0;
    return totals;
  }

  dispose(): void {
    for (const b of this.buffers) this.backend.disposeData(b.dataId);
    this.buffers.length = 0;
  }

  /** Every layer's activations for the rows in x, computed as tfjs does in training or in inference. */
  private forward(rows: number, mode: 'train' | 'predict'): void {
    let input = this.x;
    let width = this.layers[0].link.inputs;
    this.layers.forEach((layer, i) => {
      const { kernel, bias, units } = layer.link;
      const biasAt = bias ? this.at(bias) : 0;
      const flags = mode === 'train' ? layer.forwardFlags : layer.predictFlags;
      if (i === 0 && this.lists && this.sparseKeepsBits(bias, flags)) {
        this.k.gemmSparseA(this.at(input), width, 1, this.at(kernel), units, this.at(layer.out), rows, units, width, biasAt, flags, 0, this.at(this.lists));
      } else {
        this.k.gemm(this.at(input), width, 1, this.at(kernel), units, this.at(layer.out), rows, units, width, biasAt, flags, 0);
      }
      input = layer.out;
      width = units;
    });
  }

  private lossAndGradient(targets: Float32Array, rows: number, gradient: tf.TensorInfo): { loss: number; correct: number } {
    const last = this.layers[this.layers.length - 1];
    const n = rows * last.link.units;
    if (this.loss === 'sigmoid-logits') {
      // As sigmoid-logits.ts: the mean over every value, its gradient (sigmoid(z) − y)/n (step() put the targets in the heap).
      const total = this.k.sigmoidCrossEntropy(this.at(last.out), this.at(this.targets), this.at(gradient), n, 1 / n);
      return { loss: Math.fround(total / n), correct: 0 };
    }
    const classes = last.link.units;
    const probabilities = this.runStock('Softmax', [rows, classes], this.at(last.out), { dim: 1 });
    const gradientValues = new Float32Array(n);
    const result = softmaxCrossEntropy(probabilities, targets, rows, classes, (values) => this.runStock('Log', [rows, classes], values, {}), gradientValues);
    this.heap().set(gradientValues, this.at(gradient) >> 2);
    return result;
  }

  private backward(rows: number, lastGradient: tf.TensorInfo): void {
    for (const optimizer of this.optimizers) optimizer.beginStep();
    let gradient = lastGradient;
    let spare = this.grads[1];
    for (let i = this.layers.length - 1; i >= this.lowest; i--) {
      const { link, kernelOptimizer, biasOptimizer } = this.layers[i];
      const input = i === 0 ? this.x : this.layers[i - 1].out;
      const { inputs, units } = link;
      // The input gradient needs this layer's weights as they were: transpose them before Adam moves them.
      const needsInputGradient = i > this.lowest;
      if (needsInputGradient) this.k.transpose(this.at(link.kernel), this.at(this.transposed), inputs, units);
      if (kernelOptimizer) {
        // dW = inputᵀ·dZ, the input read transposed in place.
        if (i === 0 && this.lists) {
          this.k.gemmSparseA(this.at(input), 1, inputs, this.at(gradient), units, this.at(this.kernelGradient), inputs, units, rows, 0, 0, 0, this.at(this.lists));
        } else {
          this.k.gemm(this.at(input), 1, inputs, this.at(gradient), units, this.at(this.kernelGradient), inputs, units, rows, 0, 0, 0);
        }
        kernelOptimizer.updateInPlace(link.kernel, this.kernelGradient);
      }
      if (biasOptimizer && link.bias) {
        this.k.sumRows(this.at(gradient), this.at(this.biasGradient), rows, units);
        biasOptimizer.updateInPlace(link.bias, this.biasGradient);
      }
      if (needsInputGradient) {
        // dX = dZ·Wᵀ; through the layer below's ReLU, kept where its output was positive.
        const below = this.layers[i - 1];
        const flags = below.link.activation === 'relu' ? GEMM_MASK_POSITIVE : 0;
        this.k.gemm(this.at(gradient), units, 1, this.at(this.transposed), inputs, this.at(spare), rows, inputs, units, 0, flags, this.at(below.out));
        [gradient, spare] = [spare, gradient];
      }
    }
  }

  /** The last layer's activations of the forward pass just run: its values, or the output activation's kernel applied to them (as in predict). */
  private outputActivation(rows: number): Float32Array {
    const last = this.layers[this.layers.length - 1];
    const shape = [rows, last.link.units];
    const at = this.at(last.out);
    if (last.link.activation === 'softmax') return this.runStock('Softmax', shape, at, { dim: 1 });
    if (last.link.activation === 'sigmoid') return this.runStock('Sigmoid', shape, at, {});
    return this.heap().subarray(at >> 2, (at >> 2) + rows * last.link.units);
  }

  /** Whether skipping zero inputs keeps gemm's bits for a layer whose sums start from its bias unless the flags add it after. */
  private sparseKeepsBits(bias: tf.Variable | null, flags: number): boolean {
    if (bias == null || flags & GEMM_BIAS_AFTER) return true;
    const at = this.at(bias) >> 2;
    return skipsZerosExactly(this.heap().subarray(at, at + bias.size));
  }

  /** Run a stock wasm kernel on `rows × classes` values (at a heap offset, or given) and return its output's values. */
  private runStock(name: string, shape: number[], input: number | Float32Array, attrs: tf.NamedAttrMap): Float32Array {
    const config = tf.getKernel(name, 'wasm');
    if (config == null) throw new Error(`wasm kernel ${name} is not registered`);
    const size = shape[0] * shape[1];
    const x = this.backend.makeOutput(shape, 'float32');
    const heap = this.heap();
    if (typeof input === 'number') heap.copyWithin(this.at(x) >> 2, input >> 2, (input >> 2) + size);
    else heap.set(input, this.at(x) >> 2);
    const inputName = name === 'Softmax' ? 'logits' : 'x';
    const out = config.kernelFunc({ inputs: { [inputName]: x }, backend: this.backend, attrs }) as tf.TensorInfo;
    const values = this.heap().slice(this.at(out) >> 2, (this.at(out) >> 2) + size);
    this.backend.disposeData(x.dataId);
    this.backend.disposeData(out.dataId);
    return values;
  }

  private allocate(shape: number[]): tf.TensorInfo {
    const info = this.backend.makeOutput(shape, 'float32');
    this.buffers.push(info);
    return info;
  }

  private at(info: tf.TensorInfo): number {
    const data = this.backend.dataIdMap.get(info.dataId);
    if (data == null) throw new Error('fused step: tensor is not on the wasm backend');
    return data.memoryOffset;
  }

  /** Whether `values` is a view of this process's heap starting at float index `at`. */
  private isHeldAt(values: Float32Array, at: number): boolean {
    return values.buffer === this.heap().buffer && values.byteOffset === at * 4;
  }

  private heap(): Float32Array {
    return this.kernels.heapF32();
  }
}

export interface FusedStepOptions {
  model: tf.LayersModel;
  /** What fit() trains for: reconstruction with binary cross-entropy from logits, or classes. */
  loss: 'sigmoid-logits' | 'softmax' | 'other';
  groups: Array<{ variables: tf.Variable[]; optimizer: Adam }>;
  batchSize: number;
  /** The training rows, to judge whether the inputs are sparse enough for the sparse first layer. */
  x: FeatureValues;
  features: number;
  indices: Int32Array;
}

/**
 * The fused step for this training run, or null where it does not apply and fit() keeps tfjs's
 * taped step: not on wasm with our kernels, a model that is not a dense chain ending in the
 * loss's activation, or weights to train that are not the chain's.
 */
export function createFusedDenseStep(options: FusedStepOptions): FusedDenseStep | null {
  const simd = activeSimdKernels();
  if (simd == null || options.loss === 'other') return null;
  const chain = denseChainOf(options.model);
  if (chain == null || chain[0].inputs !== options.features) return null;
  const output = chain[chain.length - 1].activation;
  if ((options.loss === 'sigmoid-logits') !== (output === 'sigmoid') || (options.loss === 'softmax') !== (output === 'softmax')) return null;
  const inChain = new Set(chain.flatMap((l) => (l.bias ? [l.kernel, l.bias] : [l.kernel])));
  const groups: TrainedGroup[] = [];
  for (const g of options.groups) {
    const optimizer = heapAdamOf(g.optimizer);
    if (optimizer == null || !g.variables.every((v) => inChain.has(v))) return null;
    groups.push({ variables: g.variables, optimizer });
  }
  // The first rows of the training set decide whether the first layer's products skip zero inputs.
  const { x, features, indices } = options;
  const sparse = sampledZeroShare(x, Math.min(indices.length, 64), features, (row) => indices[row] * features) >= SPARSE_ZEROS_PAY;
  return new FusedDenseStep(simd.backend, simd.kernels, chain, options.loss, groups, options.batchSize, sparse);
}

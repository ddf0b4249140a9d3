/**
 * Adam for fit(): one fused SIMD pass per weight tensor on the wasm backend, tfjs's own Adam
 * elsewhere.
 *
 * tfjs's Adam runs about a dozen elementwise kernels per weight tensor and step, each allocating
 * its output and passing through the engine: ~2 ms of a ~17 ms dense-autoencoder step on wasm.
 * The update is memory-bound arithmetic, so one pass that reads the gradient and moments once and
 * writes them once costs a fraction of that. The formula, defaults and bias correction are
 * tfjs's; results agree with tf.train.adam to float32 rounding (test/adam.test.ts).
 */
import * as tf from '#tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { activeSimdKernels, type SimdKernels } from '../backend/simd-kernels.ts';

/** tf.train.adam's defaults; epsilon is tfjs's float32 backend epsilon, which it uses when none is given. */
export const ADAM_DEFAULTS = { beta1: 0.9, beta2: 0.999, epsilon: 1e-7 };

export interface Adam {
  /** One update of `variables` by their gradients (same order). */
  applyGradients(variables: tf.Variable[], gradients: tf.Tensor[]): void;
  /** Change the learning rate for the following steps (a schedule). */
  setLearningRate(learningRate: number): void;
  dispose(): void;
}

/**
 * The fused Adam as a training step that computes its own gradients on the wasm heap uses it
 * (fused-dense-step.ts): one variable at a time, right after its gradient is ready.
 */
export interface HeapAdam extends Adam {
  /** Begin a step: the updates until the next beginStep share its bias correction (as one applyGradients call). */
  beginStep(): void;
  /**
   * Update `variable` from `gradient` (a float32 buffer of the same size on the wasm heap),
   * writing the new weights in place when no other tensor shares the variable's buffer. Only for
   * weights that only semisup's own kernels read: a stock kernel that caches packed weights by
   * tensor (XNNPACK's convolutions) would not see an in-place change.
   */
  updateInPlace(variable: tf.Variable, gradient: tf.TensorInfo): void;
}

/** The fused Adam behind `adam`, or null when it is tfjs's own (not on wasm). */
export function heapAdamOf(adam: Adam): HeapAdam | null {
  return adam instanceof FusedAdam ? adam : null;
}

/** An Adam at `learningRate` for the active backend: the fused one where our SIMD kernels run. */
export function createAdam(learningRate: number): Adam {
  const simd = activeSimdKernels();
  return simd != null ? new FusedAdam(learningRate, simd.backend, simd.kernels) : new TfjsAdam(learningRate);
}

class TfjsAdam implements Adam {
  private readonly optimizer: tf.AdamOptimizer;

  constructor(learningRate: number) {
    this.optimizer = tf.train.adam(learningRate, ADAM_DEFAULTS.beta1, ADAM_DEFAULTS.beta2, ADAM_DEFAULTS.epsilon);
  }

  applyGradients(variables: tf.Variable[], gradients: tf.Tensor[]): void {
    this.optimizer.applyGradients(variables.map((v, i) => ({ name: v.name, tensor: gradients[i] })));
  }

  setLearningRate(learningRate: number): void {
    // tfjs's Adam reads this (protected) field at every step.
    (this.optimizer as unknown as { learningRate: number }).learningRate = learningRate;
  }

  dispose(): void {
    this.optimizer.dispose();
  }
}

/** The moments of one weight tensor: private tensors, updated in place by the kernel. */
interface Moments {
  first: tf.Tensor;
  second: tf.Tensor;
}

type AdamHyper = Parameters<SimdKernels['adam']>[5];

class FusedAdam implements HeapAdam {
  private readonly moments = new Map<tf.Variable, Moments>();
  private step = 0;
  private hyper: AdamHyper | null = null;

  constructor(private learningRate: number, private readonly backend: BackendWasm, private readonly kernels: SimdKernels) {}

  setLearningRate(learningRate: number): void {
    this.learningRate = learningRate;
  }

  beginStep(): void {
    this.step++;
    const { beta1, beta2, epsilon } = ADAM_DEFAULTS;
    this.hyper = { stepSize: this.learningRate / (1 - beta1 ** this.step), secondScale: 1 / (1 - beta2 ** this.step), beta1, beta2, epsilon };
  }

  applyGradients(variables: tf.Variable[], gradients: tf.Tensor[]): void {
    this.beginStep();
    variables.forEach((variable, i) => {
      const gradient = gradients[i];
      if (variable.dtype !== 'float32' || gradient.dtype !== 'float32') throw new Error(`Adam: ${variable.name} is not float32`);
      this.updateToNewBuffer(variable, gradient);
    });
  }

  updateInPlace(variable: tf.Variable, gradient: tf.TensorInfo): void {
    if (this.hyper == null) throw new Error('Adam: updateInPlace before beginStep');
    if (this.backend.refCount(variable.dataId) !== 1) {
      this.updateToNewBuffer(variable, gradient);
      return;
    }
    const { first, second } = this.momentsOf(variable);
    this.kernels.adam(variable, gradient, first, second, variable, this.hyper);
  }

  /**
   * New weights in a new buffer: the old one may be shared (tfjs clones share buffers), and stock
   * kernels may cache packed copies of it by tensor.
   */
  private updateToNewBuffer(variable: tf.Variable, gradient: tf.TensorInfo): void {
    const { first, second } = this.momentsOf(variable);
    const out = this.backend.makeOutput(variable.shape, 'float32');
    this.kernels.adam(variable, gradient, first, second, out, this.hyper!);
    const next = tf.engine().makeTensorFromTensorInfo(out);
    variable.assign(next);
    next.dispose();
  }

  dispose(): void {
    for (const { first, second } of this.moments.values()) tf.dispose([first, second]);
    this.moments.clear();
  }

  private momentsOf(variable: tf.Variable): Moments {
    let moments = this.moments.get(variable);
    if (moments == null) {
      // Kept out of the caller's tidy: they live as long as this optimiser.
      moments = { first: tf.keep(tf.zeros(variable.shape)), second: tf.keep(tf.zeros(variable.shape)) };
      this.moments.set(variable, moments);
    }
    return moments;
  }
}

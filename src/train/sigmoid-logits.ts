/**
 * Training a sigmoid-output model on binary cross-entropy from its logits.
 *
 * tfjs computes binaryCrossentropy(y, sigmoid(z)) by clipping the probabilities, turning them
 * back into logits (log(p / (1 − p))) and then taking the logits' cross-entropy; the backward
 * pass runs through all of that and the sigmoid again. The same loss straight from z
 * (tf.losses.sigmoidCrossEntropy) skips about a dozen elementwise kernels over the whole output
 * per step and is numerically better (no clipping at 1e-7). To get z without changing the
 * model's definition, the output layer's sigmoid is switched to identity for the length of
 * one forward call and restored right after.
 */
import * as tf from '#tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { activeSimdKernels, type SimdKernels } from '../backend/simd-kernels.ts';

/** The part of a tfjs-layers activation that Dense and Conv layers use when they call it. */
interface ActivationLike {
  getClassName(): string;
  apply(x: tf.Tensor): tf.Tensor;
}

type LayerWithActivation = tf.layers.Layer & { activation?: ActivationLike | null };

/** Layers that only move values around: a sigmoid before them is a sigmoid of the model's output. */
const SHAPE_ONLY_LAYERS = new Set(['Flatten', 'Reshape']);

const IDENTITY: ActivationLike = { getClassName: () => 'linear', apply: (x) => x };

/** The layer whose sigmoid activation produces the model's (single) output, looking into nested models; null when the output is not a sigmoid. */
export function sigmoidOutputLayer(model: tf.LayersModel): tf.layers.Layer | null {
  if (model.outputs.length !== 1) return null;
  let layer: tf.layers.Layer = model.outputs[0].sourceLayer as tf.layers.Layer;
  for (let depth = 0; depth < 100; depth++) {
    if (layer instanceof tf.LayersModel) {
      if (layer.outputs.length !== 1) return null;
      layer = layer.outputs[0].sourceLayer as tf.layers.Layer;
    } else if (SHAPE_ONLY_LAYERS.has(layer.getClassName())) {
      const input = layer.input;
      if (Array.isArray(input)) return null;
      layer = input.sourceLayer as tf.layers.Layer;
    } else {
      const activation = (layer as LayerWithActivation).activation;
      return activation != null && typeof activation.getClassName === 'function' && activation.getClassName() === 'sigmoid' ? layer : null;
    }
  }
  return null;
}

/** Run `forward` with `layer`'s activation replaced by identity, so a sigmoid-output model yields its logits. */
export function withoutActivation<T>(layer: tf.layers.Layer, forward: () => T): T {
  const target = layer as LayerWithActivation;
  const saved = target.activation;
  target.activation = IDENTITY;
  try {
    return forward();
  } finally {
    target.activation = saved;
  }
}

/** Mean binary cross-entropy of `model`'s sigmoid output against `targets`, computed from the logits of `sigmoidLayer` (same value as binaryCrossentropy(targets, model(x)).mean()). */
export function sigmoidCrossEntropyFromLogits(model: tf.LayersModel, sigmoidLayer: tf.layers.Layer, inputs: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  const logits = withoutActivation(sigmoidLayer, () => model.apply(inputs, { training: true }) as tf.Tensor);
  return meanSigmoidCrossEntropy(targets, logits);
}

/** tf.losses.sigmoidCrossEntropy(targets, logits) averaged over every value; fused into one pass on wasm. */
export function meanSigmoidCrossEntropy(targets: tf.Tensor, logits: tf.Tensor): tf.Scalar {
  const simd = logits.dtype === 'float32' && targets.dtype === 'float32' ? activeSimdKernels() : null;
  if (simd != null) return fusedMeanSigmoidCrossEntropy(logits, targets, simd.backend, simd.kernels);
  return tf.losses.sigmoidCrossEntropy(targets, logits, undefined, 0, tf.Reduction.MEAN) as tf.Scalar;
}

/**
 * The same mean loss on wasm in one SIMD pass that also writes its gradient (sigmoid(z) − y)/n, kept
 * for the backward pass: tfjs's version is about fifteen elementwise kernels over the whole output
 * per step, forward and backward, with a scalar exp — about a tenth of a dense-autoencoder step.
 */
function fusedMeanSigmoidCrossEntropy(logits: tf.Tensor, targets: tf.Tensor, backend: BackendWasm, kernels: SimdKernels): tf.Scalar {
  const n = logits.size;
  const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [z, save] = args as [tf.Tensor, tf.GradSaveFunc];
    const gradientInfo = backend.makeOutput(z.shape, 'float32');
    const total = kernels.sigmoidCrossEntropy(z, targets, gradientInfo, 1 / n);
    save([tf.engine().makeTensorFromTensorInfo(gradientInfo)]);
    return { value: tf.scalar(total / n), gradFunc: (dy, saved) => tf.mul(saved[0], dy as tf.Tensor) };
  });
  return loss(logits) as tf.Scalar;
}

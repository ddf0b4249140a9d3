/**
 * After pretraining, the encoder's linear code z is about ten times larger
 * than a freshly initialised encoder's (measured on the embedded digits:
 * std ≈ 2.9 vs 0.26). The classifier head's initialisation and learning rate
 * are shared by both arms, so such a scale would make the pretrained arm's
 * first steps saturate the softmax and wreck the pretrained features
 * (fine-tuning then loses to the baseline). We therefore rescale each latent
 * dimension, folded into the latent layer's weights, to zero mean and the
 * spread a fresh encoder of the same seed gives on the same unlabeled samples.
 * Only unlabeled pool data is used, so this is part of pretraining.
 */
import * as tf from '@tensorflow/tfjs';
import { ENCODER_LAYERS } from './autoencoder.ts';

/** Per-dimension mean and standard deviation of a model's output over `inputs` (rows × features). */
function outputMoments(model: tf.LayersModel, inputs: tf.Tensor2D): { mean: tf.Tensor1D; std: tf.Tensor1D } {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(model.predict(inputs) as tf.Tensor2D, 0);
    return { mean: mean as tf.Tensor1D, std: tf.sqrt(variance) as tf.Tensor1D };
  });
}

/**
 * Rescale `pretrained`'s latent layer in place so its code over `inputs` has
 * zero mean and the average per-dimension spread of `fresh`'s code.
 */
export function matchLatentScale(pretrained: tf.LayersModel, fresh: tf.LayersModel, inputs: tf.Tensor2D): void {
  const latentLayer = pretrained.getLayer(ENCODER_LAYERS[1]);
  const [kernel, bias] = latentLayer.getWeights();
  const rescaled = tf.tidy(() => {
    const current = outputMoments(pretrained, inputs);
    const reference = outputMoments(fresh, inputs);
    const factor = tf.div(reference.std.mean(), tf.add(current.std, 1e-6));
    return [tf.mul(kernel, factor), tf.mul(tf.sub(bias, current.mean), factor)];
  });
  latentLayer.setWeights(rescaled);
  tf.dispose(rescaled);
}

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
 * `--latent-std S` (S > 0) standardises each dimension to spread S instead:
 * a code shrunk ~10× is ~10× more fragile under Adam's fixed-size steps, so
 * fine-tuning overwrites the pretrained features fast; spread 1 keeps them.
 * A sigmoid code (the classic family) is bounded in [0, 1] already and cannot
 * be rescaled through its weights, so it is left as it is.
 */
import * as tf from '#tfjs';
import { LATENT_LAYER } from './autoencoder.ts';

/**
 * Rows per forward pass when measuring the code: tfjs's predict would take 32 at a time, paying its
 * per-batch overhead 125 times for 4,000 rows (twice as slow for the mlp encoder); a row's code is
 * the same whatever rows share its pass, and 256 images keep a conv encoder's activations small.
 */
export const ROWS_PER_PASS = 256;

/** Per-dimension mean and standard deviation of a model's output over `inputs` (rows × features). */
function outputMoments(model: tf.LayersModel, inputs: tf.Tensor2D): { mean: tf.Tensor1D; std: tf.Tensor1D } {
  return tf.tidy(() => {
    const { mean, variance } = tf.moments(model.predict(inputs, { batchSize: ROWS_PER_PASS }) as tf.Tensor2D, 0);
    return { mean: mean as tf.Tensor1D, std: tf.sqrt(variance) as tf.Tensor1D };
  });
}

/** True when the model's code layer is linear, so a per-dimension affine map can be folded into its weights. */
export function hasLinearLatent(model: tf.LayersModel): boolean {
  const config = model.getLayer(LATENT_LAYER).getConfig();
  return config.activation === 'linear';
}

/**
 * Rescale `pretrained`'s latent layer in place so its code over `inputs` has
 * zero mean and, per dimension, the standard deviation `targetStd` — or, when
 * `targetStd` is 0 (the default), the average per-dimension spread of `fresh`'s
 * code. Returns false (and changes nothing) when the code layer is not linear.
 */
export function matchLatentScale(pretrained: tf.LayersModel, fresh: tf.LayersModel, inputs: tf.Tensor2D, targetStd = 0): boolean {
  if (!hasLinearLatent(pretrained)) return false;
  const latentLayer = pretrained.getLayer(LATENT_LAYER);
  const [kernel, bias] = latentLayer.getWeights();
  const rescaled = tf.tidy(() => {
    const current = outputMoments(pretrained, inputs);
    const target = targetStd > 0 ? tf.scalar(targetStd) : outputMoments(fresh, inputs).std.mean();
    const factor = tf.div(target, tf.add(current.std, 1e-6));
    return [tf.mul(kernel, factor), tf.mul(tf.sub(bias, current.mean), factor)];
  });
  latentLayer.setWeights(rescaled);
  tf.dispose(rescaled);
  return true;
}

/**
 * The pca arm's "encoder": one linear layer that projects centred inputs onto
 * the top principal components of the unlabeled pool. It carries the same
 * name as every other encoder's code layer (LATENT_LAYER), so the head, the
 * latent rescale and the frozen training strategy treat it like the rest.
 */
import * as tf from '#tfjs';
import type { PcaModel } from '../eval/pca.ts';
import { LATENT_LAYER } from './autoencoder.ts';

/** A linear encoder x ↦ (x − mean)·components, i.e. kernel = components and bias = −mean·components. */
export function buildPcaEncoder(pca: PcaModel): tf.LayersModel {
  const input = tf.input({ shape: [pca.features], name: 'pixels' });
  const layer = tf.layers.dense({ name: LATENT_LAYER, units: pca.k, activation: 'linear' });
  const output = layer.apply(input) as tf.SymbolicTensor;
  const weights = tf.tidy(() => {
    const kernel = tf.tensor2d(pca.components, [pca.features, pca.k]);
    const bias = tf.matMul(tf.tensor2d(pca.mean, [1, pca.features]), kernel).reshape([pca.k]).neg();
    return [kernel, bias];
  });
  layer.setWeights(weights);
  tf.dispose(weights);
  return tf.model({ inputs: input, outputs: output, name: 'encoder' });
}

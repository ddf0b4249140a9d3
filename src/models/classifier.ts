/**
 * A classifier is an encoder with a softmax head on its latent code. Both arms
 * use this one builder: the pretrained arm passes a pretrained encoder, the
 * baseline a freshly initialised one.
 */
import * as tf from '#tfjs';
import { deriveSeed } from '../util/rng.ts';

export const HEAD_LAYER = 'head';

/** Put a softmax head (initialised from `seed`, identically for both arms) on the encoder. */
export function buildClassifier(encoder: tf.LayersModel, classCount: number, seed: number): tf.LayersModel {
  const head = tf.layers.dense({
    name: HEAD_LAYER,
    units: classCount,
    activation: 'softmax',
    kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, HEAD_LAYER) }),
  });
  const probabilities = head.apply(encoder.outputs[0]) as tf.SymbolicTensor;
  return tf.model({ inputs: encoder.inputs, outputs: probabilities, name: 'classifier' });
}


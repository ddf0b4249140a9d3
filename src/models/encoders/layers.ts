/**
 * Layer makers every encoder family shares: seeded Glorot initialisation per
 * layer name (so the baseline rebuilds exactly the autoencoder's starting
 * weights) and fixed layer names (so weights can be saved, loaded and
 * compared by name across models).
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../../util/rng.ts';
import type { Activation } from './family.ts';

export function glorot(seed: number, name: string) {
  return tf.initializers.glorotUniform({ seed: deriveSeed(seed, name) });
}

export function dense(name: string, units: number, activation: Activation, seed: number): tf.layers.Layer {
  return tf.layers.dense({ name, units, activation, kernelInitializer: glorot(seed, name), biasInitializer: 'zeros' });
}

/** Apply layers in turn. */
export function chain(x: tf.SymbolicTensor, layers: tf.layers.Layer[]): tf.SymbolicTensor {
  return layers.reduce((t, layer) => layer.apply(t) as tf.SymbolicTensor, x);
}

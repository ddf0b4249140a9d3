/**
 * Layer makers every encoder family shares: seeded Glorot initialisation per
 * layer name (so the baseline rebuilds exactly the autoencoder's starting
 * weights) and fixed layer names (so weights can be saved, loaded and
 * compared by name across models).
 */
import { createRequire } from 'node:module';
import type * as tf from '#tfjs';
import { deriveSeed } from '../../util/rng.ts';
import type { Activation } from './family.ts';

const require = createRequire(import.meta.url);

/**
 * tfjs, loaded when the first layer is made: the families are read to check options and print
 * --help, which must not load it. (`#tfjs` required is tfjs's CommonJS build itself, the module
 * src/backend/tfjs.mjs re-exports to every import, so this is the one tfjs every module shares.)
 */
export function tfjs(): typeof tf {
  return require('#tfjs') as typeof tf;
}

export function glorot(seed: number, name: string) {
  return tfjs().initializers.glorotUniform({ seed: deriveSeed(seed, name) });
}

export function dense(name: string, units: number, activation: Activation, seed: number): tf.layers.Layer {
  return tfjs().layers.dense({ name, units, activation, kernelInitializer: glorot(seed, name), biasInitializer: 'zeros' });
}

/** Weights and per-sample activations of a dense autoencoder with these widths from the input to the code, mirrored back. */
export function denseAutoencoderSize(shape: number[]): { weights: number; activationsPerSample: number; shape: number[] } {
  const weights = (widths: number[]) => widths.slice(1).reduce((sum, w, i) => sum + widths[i] * w + w, 0);
  const outputs = (widths: number[]) => widths.slice(1).reduce((a, b) => a + b, 0);
  const mirrored = [...shape].reverse();
  return { weights: weights(shape) + weights(mirrored), activationsPerSample: outputs(shape) + outputs(mirrored), shape };
}

/** Apply layers in turn. */
export function chain(x: tf.SymbolicTensor, layers: tf.layers.Layer[]): tf.SymbolicTensor {
  return layers.reduce((t, layer) => layer.apply(t) as tf.SymbolicTensor, x);
}

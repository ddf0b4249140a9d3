/**
 * The autoencoder: encoder (input → hidden → latent z) and a mirrored decoder
 * (z → hidden → input, sigmoid). Layers carry fixed names so weights can be
 * saved, loaded and compared by name across models.
 */
import * as tf from '@tensorflow/tfjs';
import { deriveSeed } from '../util/rng.ts';

export interface AutoencoderSpec {
  /** Images reconstruct through a sigmoid (values in [0, 1]); standardised tables through a linear layer. */
  inputKind: 'image' | 'table';
  /** Number of input features (pixels are flattened). */
  features: number;
  hidden: number;
  latent: number;
}

export const ENCODER_LAYERS = ['encoder_hidden', 'encoder_latent'];
export const DECODER_LAYERS = ['decoder_hidden', 'decoder_output'];

function dense(name: string, units: number, activation: 'relu' | 'linear' | 'sigmoid', seed: number): tf.layers.Layer {
  return tf.layers.dense({
    name,
    units,
    activation,
    kernelInitializer: tf.initializers.glorotUniform({ seed: deriveSeed(seed, name) }),
    biasInitializer: 'zeros',
  });
}

/**
 * The encoder, with initial weights fixed by `seed`. The baseline arm builds
 * the same encoder from the same seed, so the two arms differ only by pretraining.
 */
export function buildEncoder(spec: AutoencoderSpec, seed: number): tf.LayersModel {
  const input = tf.input({ shape: [spec.features], name: 'pixels' });
  const hidden = dense(ENCODER_LAYERS[0], spec.hidden, 'relu', seed).apply(input) as tf.SymbolicTensor;
  // A linear latent: in calibration a ReLU latent made fine-tuning worse than the baseline.
  const latent = dense(ENCODER_LAYERS[1], spec.latent, 'linear', seed).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: latent, name: 'encoder' });
}

/** The decoder mirrors the encoder; for images a sigmoid output matches pixel values in [0, 1]. */
export function buildDecoder(spec: AutoencoderSpec, seed: number): tf.LayersModel {
  const input = tf.input({ shape: [spec.latent], name: 'z' });
  const hidden = dense(DECODER_LAYERS[0], spec.hidden, 'relu', seed).apply(input) as tf.SymbolicTensor;
  const output = dense(DECODER_LAYERS[1], spec.features, spec.inputKind === 'image' ? 'sigmoid' : 'linear', seed).apply(hidden) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: output, name: 'decoder' });
}

/** Encoder followed by decoder, sharing their layers (training it trains both). */
export function joinAutoencoder(encoder: tf.LayersModel, decoder: tf.LayersModel): tf.LayersModel {
  const reconstruction = decoder.apply(encoder.outputs[0]) as tf.SymbolicTensor;
  return tf.model({ inputs: encoder.inputs, outputs: reconstruction, name: 'autoencoder' });
}

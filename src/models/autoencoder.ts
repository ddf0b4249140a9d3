/**
 * The autoencoder: an encoder (input → latent z) and a decoder (z → input),
 * in the family --encoder picks (encoders/: mlp, classic, conv). Every model
 * takes and returns flat rows; layers carry fixed names so weights can be
 * saved, loaded and compared by name across models, and the code layer is
 * always LATENT_LAYER (latent-scale.ts rescales it).
 */
import * as tf from '#tfjs';
import { encoderFamily, type AutoencoderSpec } from './encoders/index.ts';
import { dense } from './encoders/layers.ts';

export type { AutoencoderSpec } from './encoders/index.ts';

/** The code layer of every family: the encoder's last layer. */
export const LATENT_LAYER = 'encoder_latent';

/**
 * The encoder, with initial weights fixed by `seed`. The baseline arm builds
 * the same encoder from the same seed, so the arms differ only by pretraining.
 */
export function buildEncoder(spec: AutoencoderSpec, seed: number): tf.LayersModel {
  const family = encoderFamily(spec.encoder);
  const input = tf.input({ shape: [spec.features], name: 'pixels' });
  const body = family.encoderBody(input, spec, seed);
  // A linear code unless the family says otherwise: in calibration a ReLU code made fine-tuning worse than the baseline.
  const code = dense(LATENT_LAYER, spec.latent, family.codeActivation, seed).apply(body) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: code, name: 'encoder' });
}

/** The decoder mirrors the encoder; for images a sigmoid output matches pixel values in [0, 1]. */
export function buildDecoder(spec: AutoencoderSpec, seed: number): tf.LayersModel {
  const input = tf.input({ shape: [spec.latent], name: 'z' });
  const output = encoderFamily(spec.encoder).decoder(input, spec, seed, spec.inputKind === 'image' ? 'sigmoid' : 'linear');
  return tf.model({ inputs: input, outputs: output, name: 'decoder' });
}

/** Encoder followed by decoder, sharing their layers (training it trains both). */
export function joinAutoencoder(encoder: tf.LayersModel, decoder: tf.LayersModel): tf.LayersModel {
  const reconstruction = decoder.apply(encoder.outputs[0]) as tf.SymbolicTensor;
  return tf.model({ inputs: encoder.inputs, outputs: reconstruction, name: 'autoencoder' });
}

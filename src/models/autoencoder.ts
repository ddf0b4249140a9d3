/**
 * The autoencoder: an encoder (input → latent z) and a decoder (z → input), in
 * three families chosen by --encoder:
 *  - mlp:     ReLU hidden layers (widths hidden·2^(depth−1) … hidden) → linear z, mirrored decoder;
 *  - classic: one sigmoid layer as the code, 784 → latent → 784 (the earliest autoencoders);
 *  - conv:    two stride-2 3×3 ReLU convolutions → linear z; dense → 7×7×64 → two stride-2
 *             transposed convolutions back to the image.
 * Every model takes and returns flat rows (the data path feeds flat rows); the
 * conv family reshapes to height × width × channels inside. Layers carry fixed
 * names so weights can be saved, loaded and compared by name across models,
 * and the code layer is always LATENT_LAYER (latent-scale.ts rescales it).
 */
import * as tf from '@tensorflow/tfjs';
import { UserError } from '../errors.ts';
import { deriveSeed } from '../util/rng.ts';

export const ENCODER_FAMILIES = ['mlp', 'classic', 'conv'] as const;
export type EncoderFamily = (typeof ENCODER_FAMILIES)[number];

export interface AutoencoderSpec {
  /** Images reconstruct through a sigmoid (values in [0, 1]); standardised tables through a linear layer. */
  inputKind: 'image' | 'table';
  /** Number of input features (pixels are flattened). */
  features: number;
  /** Shape of one sample ([28, 28, 1] for images); the conv family needs it. Defaults to [features]. */
  inputShape?: number[];
  /** Which encoder family; defaults to mlp. */
  encoder?: EncoderFamily;
  /** Width of the last mlp hidden layer (unused by classic and conv). */
  hidden: number;
  /** Number of mlp hidden layers (default 1); each earlier layer is twice as wide. */
  depth?: number;
  latent: number;
}

/** The code layer of every family: the encoder's last layer. */
export const LATENT_LAYER = 'encoder_latent';
/** Channels of the conv family's two convolutions. */
const CONV_CHANNELS = [32, 64];

type Activation = 'relu' | 'linear' | 'sigmoid';

function glorot(seed: number, name: string) {
  return tf.initializers.glorotUniform({ seed: deriveSeed(seed, name) });
}

function dense(name: string, units: number, activation: Activation, seed: number): tf.layers.Layer {
  return tf.layers.dense({ name, units, activation, kernelInitializer: glorot(seed, name), biasInitializer: 'zeros' });
}

/** Widths of the mlp hidden layers, input side first: depth 2, hidden 256 → [512, 256]. */
export function mlpWidths(spec: Pick<AutoencoderSpec, 'hidden' | 'depth'>): number[] {
  const depth = spec.depth ?? 1;
  return Array.from({ length: depth }, (_, i) => spec.hidden * 2 ** (depth - 1 - i));
}

/** Name of the i-th mlp hidden layer; depth 1 keeps the historic names (encoder_hidden, decoder_hidden). */
function hiddenName(side: 'encoder' | 'decoder', i: number, depth: number): string {
  return depth === 1 ? `${side}_hidden` : `${side}_hidden_${i + 1}`;
}

/** The image shape the conv family works on; a UserError when the data are not images it can halve twice. */
export function convImageShape(spec: Pick<AutoencoderSpec, 'inputKind' | 'inputShape'>): [number, number, number] {
  const shape = spec.inputShape ?? [];
  if (spec.inputKind !== 'image' || shape.length !== 3) {
    throw new UserError(`--encoder conv needs an image dataset (this one has input shape [${shape.join(', ')}]): use --encoder mlp or classic.`);
  }
  const [h, w, c] = shape;
  if (h % 4 !== 0 || w % 4 !== 0) {
    throw new UserError(`--encoder conv needs image sides divisible by 4 (two stride-2 layers), not ${h}×${w}: use --encoder mlp.`);
  }
  return [h, w, c];
}

/**
 * The encoder, with initial weights fixed by `seed`. The baseline arm builds
 * the same encoder from the same seed, so the arms differ only by pretraining.
 */
export function buildEncoder(spec: AutoencoderSpec, seed: number): tf.LayersModel {
  const input = tf.input({ shape: [spec.features], name: 'pixels' });
  let x: tf.SymbolicTensor = input;
  const family = spec.encoder ?? 'mlp';
  if (family === 'classic') {
    // The code is the sigmoid hidden layer itself.
    x = dense(LATENT_LAYER, spec.latent, 'sigmoid', seed).apply(x) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: x, name: 'encoder' });
  }
  if (family === 'conv') {
    x = tf.layers.reshape({ name: 'encoder_image', targetShape: convImageShape(spec) }).apply(x) as tf.SymbolicTensor;
    CONV_CHANNELS.forEach((filters, i) => {
      const name = `encoder_conv_${i + 1}`;
      x = tf.layers.conv2d({ name, filters, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: glorot(seed, name) }).apply(x) as tf.SymbolicTensor;
    });
    x = tf.layers.flatten({ name: 'encoder_flatten' }).apply(x) as tf.SymbolicTensor;
  } else {
    const widths = mlpWidths(spec);
    widths.forEach((units, i) => { x = dense(hiddenName('encoder', i, widths.length), units, 'relu', seed).apply(x) as tf.SymbolicTensor; });
  }
  // A linear latent: in calibration a ReLU latent made fine-tuning worse than the baseline.
  x = dense(LATENT_LAYER, spec.latent, 'linear', seed).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'encoder' });
}

/** The decoder mirrors the encoder; for images a sigmoid output matches pixel values in [0, 1]. */
export function buildDecoder(spec: AutoencoderSpec, seed: number): tf.LayersModel {
  const input = tf.input({ shape: [spec.latent], name: 'z' });
  const outputActivation: Activation = spec.inputKind === 'image' ? 'sigmoid' : 'linear';
  let x: tf.SymbolicTensor = input;
  const family = spec.encoder ?? 'mlp';
  if (family === 'conv') {
    const [h, w, c] = convImageShape(spec);
    const [first, second] = CONV_CHANNELS;
    x = dense('decoder_dense', (h / 4) * (w / 4) * second, 'relu', seed).apply(x) as tf.SymbolicTensor;
    x = tf.layers.reshape({ name: 'decoder_grid', targetShape: [h / 4, w / 4, second] }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2dTranspose({ name: 'decoder_deconv_1', filters: first, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: glorot(seed, 'decoder_deconv_1') }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.conv2dTranspose({ name: 'decoder_deconv_2', filters: c, kernelSize: 3, strides: 2, padding: 'same', activation: outputActivation, kernelInitializer: glorot(seed, 'decoder_deconv_2') }).apply(x) as tf.SymbolicTensor;
    x = tf.layers.flatten({ name: 'decoder_output' }).apply(x) as tf.SymbolicTensor;
    return tf.model({ inputs: input, outputs: x, name: 'decoder' });
  }
  if (family === 'mlp') {
    const widths = [...mlpWidths(spec)].reverse();
    widths.forEach((units, i) => { x = dense(hiddenName('decoder', i, widths.length), units, 'relu', seed).apply(x) as tf.SymbolicTensor; });
  }
  x = dense('decoder_output', spec.features, outputActivation, seed).apply(x) as tf.SymbolicTensor;
  return tf.model({ inputs: input, outputs: x, name: 'decoder' });
}

/** Encoder followed by decoder, sharing their layers (training it trains both). */
export function joinAutoencoder(encoder: tf.LayersModel, decoder: tf.LayersModel): tf.LayersModel {
  const reconstruction = decoder.apply(encoder.outputs[0]) as tf.SymbolicTensor;
  return tf.model({ inputs: encoder.inputs, outputs: reconstruction, name: 'autoencoder' });
}

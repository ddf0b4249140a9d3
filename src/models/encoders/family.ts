/**
 * What an encoder family is: how it turns a flat input row into the layers
 * before the code z, which activation the code has, how its decoder turns z
 * back into a flat row, and which architecture options it reads (only those
 * enter cache keys). The code layer itself (LATENT_LAYER) and the joining of
 * encoder and decoder are shared (../autoencoder.ts).
 */
import type * as tf from '#tfjs';

/** The configuration options an encoder family may read. */
export interface EncoderOptions {
  /** Width of the mlp encoder's last hidden layer (earlier layers are twice as wide each). */
  hidden: number;
  /** Number of mlp hidden layers. */
  depth: number;
}

/** What every family builds from: the data's shape and kind, the code size, and the family's own settings. */
export interface AutoencoderSpec {
  /** Images reconstruct through a sigmoid (values in [0, 1]); standardised tables through a linear layer. */
  inputKind: 'image' | 'table';
  /** Number of input features (pixels are flattened). */
  features: number;
  /** Shape of one sample ([28, 28, 1] for images); the conv family needs it. Defaults to [features]. */
  inputShape?: number[];
  /** Which family; defaults to mlp. */
  encoder?: string;
  /** mlp: the width of the last hidden layer, and the number of hidden layers (default 1). */
  hidden?: number;
  depth?: number;
  latent: number;
}

export type Activation = 'relu' | 'linear' | 'sigmoid';

/** The autoencoder's size (encoder and decoder), for the memory check before training (../model-size.ts). */
export interface AutoencoderSize {
  weights: number;
  /** Values of every layer's output for one sample, encoder and decoder together. */
  activationsPerSample: number;
  /** The widths from the input to the code, for messages. */
  shape: number[];
}

export interface EncoderFamily {
  readonly name: string;
  /** One line for --help. */
  readonly description: string;
  /** The code's activation: linear codes are rescaled after pretraining (latent-scale.ts), sigmoid codes are not. */
  readonly codeActivation: Activation;
  /** The options it uses, for the spec and the cache keys; throws a UserError when it cannot work on this data. */
  settings(options: EncoderOptions, data: Pick<AutoencoderSpec, 'inputKind' | 'inputShape'>): Partial<AutoencoderSpec>;
  /** Layers from the flat input row up to (not including) the code layer. */
  encoderBody(input: tf.SymbolicTensor, spec: AutoencoderSpec, seed: number): tf.SymbolicTensor;
  /** Layers from the code z to the flat reconstruction, whose last layer has `output` activation. */
  decoder(z: tf.SymbolicTensor, spec: AutoencoderSpec, seed: number, output: Activation): tf.SymbolicTensor;
  /** Its weights and activations for a spec, computed without building it. */
  size(spec: AutoencoderSpec): AutoencoderSize;
  /** The options that set its size, as given ("--hidden 256 --depth 1 --latent 64"), and which to lower when it is too large. */
  sizeOptions(spec: AutoencoderSpec): { given: string; lower: string };
}

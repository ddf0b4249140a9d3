/**
 * The encoders the bench measures, one entry each. An entry builds, from a
 * seed, the autoencoder that pretraining trains and the classifier that
 * fine-tuning trains; both take flat rows (features = 784 for 28×28 digits),
 * as src/train/fit.ts feeds them. Adding an encoder is adding an entry here.
 */
import * as tf from '#tfjs';
import { buildDecoder, buildEncoder, joinAutoencoder, type AutoencoderSpec } from '../models/autoencoder.ts';
import { buildClassifier } from '../models/classifier.ts';
import { deriveSeed } from '../util/rng.ts';

export interface BenchModels {
  autoencoder: tf.LayersModel;
  classifier: tf.LayersModel;
}

export interface BenchEncoder {
  name: string;
  /** One line for the report: what the encoder is. */
  describe: string;
  /** Input features per sample (flat). */
  features: number;
  classCount: number;
  /** Backends (tfjs names) where one measurement takes many minutes; skipped unless --include-slow. */
  slowOn?: string[];
  /** Fresh models with seeded initial weights; the caller disposes both. */
  build(seed: number): BenchModels;
}

/** The default pipeline's geometry: 28×28 digits, hidden 256, latent 64, 10 classes. */
const IMAGE_SIDE = 28;
const FEATURES = IMAGE_SIDE * IMAGE_SIDE;
const CLASSES = 10;
const MLP_SPEC: AutoencoderSpec = { inputKind: 'image', features: FEATURES, hidden: 256, latent: 64 };

/** The dense encoder the pipeline uses today (src/models/autoencoder.ts). */
function buildMlp(seed: number): BenchModels {
  const autoencoder = joinAutoencoder(buildEncoder(MLP_SPEC, seed), buildDecoder(MLP_SPEC, seed));
  // Fine-tuning trains a classifier on a fresh encoder of the same shape (weights do not change speed).
  const classifier = buildClassifier(buildEncoder(MLP_SPEC, seed), CLASSES, seed);
  return { autoencoder, classifier };
}

/**
 * A small conv autoencoder in plain tf.layers, so a conv number exists before the project's own
 * conv encoder lands: conv3×3 s2 32 → conv3×3 s2 64 → dense latent; decoder dense → 7×7×64 →
 * conv2dTranspose s2 32 → conv2dTranspose s2 1 (sigmoid). Reshapes at both ends keep rows flat.
 */
export function buildConvModels(seed: number, latent = 64): BenchModels {
  const init = (name: string) => tf.initializers.glorotUniform({ seed: deriveSeed(seed, name) });
  const conv = { kernelSize: 3, strides: 2, padding: 'same' as const, activation: 'relu' as const };
  const encoderLayers = (): tf.layers.Layer[] => [
    tf.layers.reshape({ targetShape: [IMAGE_SIDE, IMAGE_SIDE, 1], inputShape: [FEATURES] }),
    tf.layers.conv2d({ ...conv, filters: 32, kernelInitializer: init('conv1') }),
    tf.layers.conv2d({ ...conv, filters: 64, kernelInitializer: init('conv2') }),
    tf.layers.flatten(),
    tf.layers.dense({ units: latent, kernelInitializer: init('latent') }),
  ];
  const autoencoder = tf.sequential({
    layers: [
      ...encoderLayers(),
      tf.layers.dense({ units: 7 * 7 * 64, activation: 'relu', kernelInitializer: init('decoder_dense') }),
      tf.layers.reshape({ targetShape: [7, 7, 64] }),
      tf.layers.conv2dTranspose({ ...conv, filters: 32, kernelInitializer: init('deconv1') }),
      tf.layers.conv2dTranspose({ ...conv, filters: 1, activation: 'sigmoid', kernelInitializer: init('deconv2') }),
      tf.layers.flatten(),
    ],
  });
  const classifier = tf.sequential({
    layers: [...encoderLayers(), tf.layers.dense({ units: CLASSES, activation: 'softmax', kernelInitializer: init('head') })],
  });
  return { autoencoder, classifier };
}

/** Every encoder the bench knows, in table order. */
export const BENCH_ENCODERS: BenchEncoder[] = [
  { name: 'mlp', describe: `dense ${FEATURES}-256-64-256-${FEATURES} (src/models/autoencoder.ts)`, features: FEATURES, classCount: CLASSES, build: buildMlp },
  { name: 'conv', describe: 'conv 3×3 s2 32 → 3×3 s2 64 → dense 64; mirrored conv2dTranspose decoder (plain tf.layers)', features: FEATURES, classCount: CLASSES, slowOn: ['cpu'], build: (seed) => buildConvModels(seed) },
];

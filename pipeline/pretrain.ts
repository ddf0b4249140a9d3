/**
 * Stage 2 — pretrain. Train an autoencoder (encoder → latent z → decoder) on
 * the whole unlabeled pool of one seed, labels unused, with masking or
 * gaussian noise on its inputs (a denoising autoencoder). The encoder family
 * (mlp, classic, conv) comes from the config. Keep the encoder, with a linear
 * code rescaled to a fresh encoder's scale (see src/models/latent-scale.ts);
 * the whole autoencoder is kept too, for the report's pictures (pictures.ts).
 */
import { serialiseModel } from '../src/artifacts/model-io.ts';
import type { EntryFiles } from '../src/artifacts/store.ts';
import { datasetForSplit } from '../src/data/prepared.ts';
import type { Job } from '../src/jobs/job.ts';
import type { StageContext, StageDefinition } from '../src/jobs/stage.ts';
import { modelParams, type ModelParams } from '../src/models/model-params.ts';
import { evenlySpaced, gatherRows } from '../src/train/batches.ts';
import type { TrainingCurve } from '../src/train/curves.ts';
import type { NoiseType } from '../src/config.ts';
import { createRng, deriveSeed } from '../src/util/rng.ts';
import { prepareStage, readSplit } from './prepare.ts';
import { runStageAlone } from './stage-alone.ts';

export interface PretrainParams {
  model: ModelParams;
  train: { epochs: number; batchSize: number; learningRate: number };
  /** Masking rate or gaussian standard deviation; 0 is a plain autoencoder (and then the type is 'mask'). */
  noise: number;
  noiseType: NoiseType;
  /** Latent spread after rescaling; absent: a fresh encoder's (latent-scale.ts). */
  latentStd?: number;
}

/** The whole trained autoencoder, before its code is rescaled, under these names in the entry. */
export const AUTOENCODER_FILES = { json: 'autoencoder.json', weights: 'autoencoder.weights.bin' } as const;

/** Pool samples used to measure the latent scale; enough for stable per-dimension spreads. */
const SCALE_SAMPLES = 4000;

export async function pretrain(job: Job<PretrainParams>, ctx: StageContext): Promise<EntryFiles> {
  // Training code (and tfjs with it) loads when a job runs: planning never loads it (see src/jobs/stage.ts).
  const [tf, { buildDecoder, buildEncoder, joinAutoencoder }, { matchLatentScale }, { fit }] = await Promise.all([
    import('#tfjs'), import('../src/models/autoencoder.ts'), import('../src/models/latent-scale.ts'), import('../src/train/fit.ts'),
  ]);
  const split = readSplit(ctx, job);
  const data = datasetForSplit(ctx.dataset, split);
  const { model: spec, train, noise, noiseType } = job.params;
  const encoder = buildEncoder(spec, job.seed);
  const decoder = buildDecoder(spec, job.seed);
  const autoencoder = joinAutoencoder(encoder, decoder);
  try {
    const started = Date.now();
    const epochs = await fit({
      learningRateOption: '--pretrain-learning-rate',
      model: autoencoder,
      x: data.x,
      features: spec.features,
      indices: split.pool,
      target: { kind: 'reconstruct', noise, noiseType, loss: spec.inputKind === 'image' ? 'binary-crossentropy' : 'squared-error' },
      ...train,
      rng: createRng(deriveSeed(job.seed, 'pretrain')),
      onEpoch: (log) => ctx.onEpoch(log, train.epochs),
    });
    const trainSeconds = (Date.now() - started) / 1000;
    // The pictures need the autoencoder as trained: the decoder expects the code at its original scale.
    const saved = await serialiseModel(autoencoder, AUTOENCODER_FILES);

    const fresh = buildEncoder(spec, job.seed);
    const sample = evenlySpaced(split.pool, SCALE_SAMPLES);
    const sampleRows = tf.tensor2d(gatherRows(data.x, spec.features, sample, 0, sample.length, new Float32Array(sample.length * spec.features)), [sample.length, spec.features]);
    matchLatentScale(encoder, fresh, sampleRows, job.params.latentStd ?? 0);
    sampleRows.dispose();
    fresh.dispose();

    const curve: TrainingCurve = { seed: job.seed, model: 'autoencoder', epochs };
    return {
      ...(await serialiseModel(encoder)),
      ...saved,
      'curve.json': JSON.stringify(curve),
      'summary.json': JSON.stringify({ trainSeconds, finalLoss: epochs.at(-1)?.loss ?? null }),
    };
  } finally {
    autoencoder.dispose();
  }
}

export const pretrainStage: StageDefinition<PretrainParams> = {
  name: 'pretrain',
  title: 'train a denoising autoencoder on each seed\'s unlabeled pool; keep its encoder',
  // 4: the autoencoder is stored beside the encoder; pictures are their own stage.
  version: 4,
  grain: 'seed',
  inputs: [prepareStage],
  usesBackend: true,
  params: ({ config, facts }) => ({
    model: modelParams(config, facts),
    train: { epochs: config.pretrainEpochs, batchSize: config.pretrainBatchSize, learningRate: config.pretrainLearningRate },
    noise: config.noise,
    // The noise type does not matter when there is no noise.
    noiseType: config.noise === 0 ? 'mask' : config.noiseType,
    // Present only when set, so the default (a fresh encoder's spread) keys as it always did.
    ...(config.latentStd > 0 ? { latentStd: config.latentStd } : {}),
  }),
  run: pretrain,
};

runStageAlone(import.meta.url, pretrainStage);

/**
 * Stage 2 — pretrain. Train an autoencoder (encoder → latent z → decoder) on
 * the whole unlabeled pool of one seed, labels unused, with masking or
 * gaussian noise on its inputs (a denoising autoencoder). The encoder family
 * (mlp, classic, conv) comes from the config. Keep the encoder, rescale a
 * linear code to a fresh encoder's scale (see src/models/latent-scale.ts),
 * and discard the decoder. Pictures for the report (reconstructions, latent map) are drawn
 * from test images after training; the test set never trains anything.
 */
import * as tf from '@tensorflow/tfjs';
import type { EntryFiles } from '../src/artifacts/store.ts';
import { serialiseModel } from '../src/artifacts/model-io.ts';
import { isImageDataset, type Dataset } from '../src/data/dataset.ts';
import { datasetForSplit } from '../src/data/prepared.ts';
import type { Split } from '../src/data/split.ts';
import { fitPca, projectPca } from '../src/eval/pca.ts';
import type { StageContext } from '../src/jobs/context.ts';
import type { PretrainJob } from '../src/jobs/job.ts';
import { buildDecoder, buildEncoder, joinAutoencoder, type AutoencoderSpec } from '../src/models/autoencoder.ts';
import { matchLatentScale } from '../src/models/latent-scale.ts';
import type { RunPictures, TrainingCurve } from '../src/report/run-record.ts';
import { evenlySpaced, gatherRows } from '../src/train/batches.ts';
import { fit, predictRows } from '../src/train/fit.ts';
import { createRng, deriveSeed } from '../src/util/rng.ts';
import { loadSplit } from './prepare.ts';
import { runStageAlone } from './stage-main.ts';

/** 2: binary cross-entropy computed from logits (same loss up to float rounding, different bits). 3: masking noise drawn two pixels per 32-bit draw. */
export const PRETRAIN_VERSION = 3;

/** Pool samples used to measure the latent scale; enough for stable per-dimension spreads. */
const SCALE_SAMPLES = 4000;
/** Test digits shown in the reconstruction grid, per class. */
const PICTURES_PER_CLASS = 2;
/** Test samples in the latent map. */
const MAP_SAMPLES = 1000;

export async function pretrain(job: PretrainJob, ctx: StageContext): Promise<EntryFiles> {
  const split = loadSplit(ctx.store, job.splitKey);
  const data = datasetForSplit(ctx.dataset, split);
  const spec: AutoencoderSpec = job.model;
  const encoder = buildEncoder(spec, job.seed);
  const decoder = buildDecoder(spec, job.seed);
  const autoencoder = joinAutoencoder(encoder, decoder);
  const started = Date.now();
  const epochs = await fit({
    learningRateOption: '--pretrain-learning-rate',
    model: autoencoder,
    x: data.x,
    features: spec.features,
    indices: split.pool,
    target: { kind: 'reconstruct', noise: job.noise, noiseType: job.noiseType, loss: spec.inputKind === 'image' ? 'binary-crossentropy' : 'squared-error' },
    ...job.train,
    rng: createRng(deriveSeed(job.seed, 'pretrain')),
    onEpoch: (log) => ctx.onEpoch(log, job.train.epochs),
  });
  const trainSeconds = (Date.now() - started) / 1000;
  // Pictures come from the trained autoencoder before its code is rescaled (the decoder expects the original scale).
  const pictures = isImageDataset(data) ? await drawPictures(data, split, encoder, autoencoder, job.seed) : undefined;

  const fresh = buildEncoder(spec, job.seed);
  const sample = evenlySpaced(split.pool, SCALE_SAMPLES);
  const sampleRows = tf.tensor2d(gatherRows(data.x, spec.features, sample, 0, sample.length, new Float32Array(sample.length * spec.features)), [sample.length, spec.features]);
  matchLatentScale(encoder, fresh, sampleRows, job.latentStd);
  sampleRows.dispose();

  const saved = await serialiseModel(encoder);
  fresh.dispose();
  autoencoder.dispose();
  const curve: TrainingCurve = { seed: job.seed, model: 'autoencoder', epochs };
  return {
    ...saved,
    'curve.json': JSON.stringify(curve),
    'summary.json': JSON.stringify({ trainSeconds, finalLoss: epochs.at(-1)?.loss ?? null }),
    ...(pictures ? { 'pictures.json': JSON.stringify(pictures) } : {}),
  };
}

async function drawPictures(data: Dataset, split: Split, encoder: tf.LayersModel, autoencoder: tf.LayersModel, seed: number): Promise<RunPictures> {
  const features = data.x.length / data.y.length;
  const shown: number[] = [];
  for (let c = 0; c < data.classNames.length; c++) {
    for (const i of split.test) {
      if (shown.filter((j) => data.y[j] === c).length >= PICTURES_PER_CLASS) break;
      if (data.y[i] === c) shown.push(i);
    }
  }
  const shownIdx = Int32Array.from(shown);
  const originals = gatherRows(data.x, features, shownIdx, 0, shownIdx.length, new Float32Array(shownIdx.length * features));
  const reconstructed = await predictRows(autoencoder, data.x, features, shownIdx);

  const mapIdx = evenlySpaced(split.test, MAP_SAMPLES);
  const latent = await predictRows(encoder, data.x, features, mapIdx);
  const latentWidth = latent.length / mapIdx.length;
  const pixels = gatherRows(data.x, features, mapIdx, 0, mapIdx.length, new Float32Array(mapIdx.length * features));
  const latentPca = fitPca(latent, latentWidth, 2, seed);
  const pixelPca = fitPca(pixels, features, 2, seed);
  const round = (values: Float32Array, digits: number) => Array.from(values, (v) => +v.toFixed(digits));
  return {
    seed,
    inputShape: data.inputShape,
    reconstruction: { originals: round(originals, 3), reconstructed: round(reconstructed, 3), count: shownIdx.length },
    latentMap: {
      labels: Array.from(mapIdx, (i) => data.y[i]),
      latent2d: round(projectPca(latentPca, latent), 4),
      pixels2d: round(projectPca(pixelPca, pixels), 4),
      latentExplained: latentPca.explained[0] + latentPca.explained[1],
      pixelsExplained: pixelPca.explained[0] + pixelPca.explained[1],
    },
  };
}

runStageAlone(import.meta.url, 'pretrain');

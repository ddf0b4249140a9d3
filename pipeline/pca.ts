/**
 * Arm beyond the seed — pca. The classical answer to "use the unlabeled data":
 * principal components of the unlabeled pool, to the latent size, as a frozen
 * linear encoder (src/models/pca-encoder.ts), with the same head, labeled
 * subset, batch order, optimiser and epoch budget as every other arm. Like a
 * pretrained code, the projection is rescaled to a fresh encoder's spread
 * (src/models/latent-scale.ts) so the shared head initialisation and learning
 * rate suit it. Only pool images are used to fit it; labels never.
 */
import * as tf from '@tensorflow/tfjs';
import type { EntryFiles } from '../src/artifacts/store.ts';
import { datasetForSplit } from '../src/data/prepared.ts';
import { fitPca } from '../src/eval/pca.ts';
import type { StageContext } from '../src/jobs/context.ts';
import type { ClassifierJob } from '../src/jobs/job.ts';
import { buildEncoder } from '../src/models/autoencoder.ts';
import { matchLatentScale } from '../src/models/latent-scale.ts';
import { buildPcaEncoder } from '../src/models/pca-encoder.ts';
import { evenlySpaced, gatherRows } from '../src/train/batches.ts';
import { outcomeFiles, trainAndEvaluate } from '../src/train/train-classifier.ts';
import { deriveSeed } from '../src/util/rng.ts';
import { loadSplit } from './prepare.ts';
import { runStageAlone } from './stage-main.ts';

export const PCA_VERSION = 1;

/** Pool samples PCA is fitted on: the top components of 10,000 digits match those of 60,000 closely, at a sixth of the memory. */
const PCA_SAMPLES = 10000;

export async function pca(job: ClassifierJob, ctx: StageContext): Promise<EntryFiles> {
  const split = loadSplit(ctx.store, job.splitKey);
  const data = datasetForSplit(ctx.dataset, split);
  const features = job.model.features;
  const sample = evenlySpaced(split.pool, PCA_SAMPLES);
  const rows = gatherRows(data.x, features, sample, 0, sample.length, new Float32Array(sample.length * features));
  const encoder = buildPcaEncoder(fitPca(rows, features, job.model.latent, deriveSeed(job.seed, 'pca')));

  const fresh = buildEncoder(job.model, job.seed);
  const rowsTensor = tf.tensor2d(rows, [sample.length, features]);
  matchLatentScale(encoder, fresh, rowsTensor);
  rowsTensor.dispose();
  fresh.dispose();

  const outcome = await trainAndEvaluate({
    job, // strategy 'frozen': the projection never trains
    encoder,
    data,
    split,
    backend: ctx.backend,
    onEpoch: (log) => ctx.onEpoch(log, job.train.epochs),
  });
  return outcomeFiles(outcome);
}

runStageAlone(import.meta.url, 'pca');

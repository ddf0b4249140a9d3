/**
 * Report material — pictures. For the report's first seed: test images with
 * the autoencoder's reconstructions of them, and a map of the test set's
 * latent codes beside one of its raw pixels (the first two principal
 * components of each). Its own cached job, keyed by the encoder and these
 * settings, so a change to the pictures never retrains anything. Test images
 * are only drawn here; they never train anything.
 */
import type * as tf from '#tfjs';
import { readStoredModel } from '../src/artifacts/model-io.ts';
import type { EntryFiles } from '../src/artifacts/store.ts';
import type { Dataset } from '../src/data/dataset.ts';
import type { Split } from '../src/data/split.ts';
import type { Job } from '../src/jobs/job.ts';
import type { StageContext, StageDefinition } from '../src/jobs/stage.ts';
import type { RunPictures } from '../src/report/run-record.ts';
import { evenlySpaced, gatherRows } from '../src/train/batches.ts';
import { prepareStage, readSplit } from './prepare.ts';
import { AUTOENCODER_FILES, pretrainStage } from './pretrain.ts';
import { runStageAlone } from './stage-alone.ts';

export interface PictureParams {
  /** Test images shown in the reconstruction grid, per class. */
  perClass: number;
  /** Test samples in the latent map. */
  mapSamples: number;
}

export async function pictures(job: Job<PictureParams>, ctx: StageContext): Promise<EntryFiles> {
  const split = readSplit(ctx, job);
  // Training code (and tfjs with it) loads when a job runs: planning never loads it (see src/jobs/stage.ts).
  const [tf, { LATENT_LAYER }] = await Promise.all([import('#tfjs'), import('../src/models/autoencoder.ts')]);
  const autoencoder = await readStoredModel(ctx.store, pretrainStage.name, job.inputs[pretrainStage.name], AUTOENCODER_FILES);
  // The encoder as trained (its code not yet rescaled): the part of the autoencoder up to the code layer.
  const encoder = tf.model({ inputs: autoencoder.inputs, outputs: autoencoder.getLayer(LATENT_LAYER).output as tf.SymbolicTensor });
  try {
    return { 'pictures.json': JSON.stringify(await drawPictures(ctx.dataset, split, encoder, autoencoder, job.seed, job.params)) };
  } finally {
    autoencoder.dispose();
  }
}

async function drawPictures(data: Dataset, split: Split, encoder: tf.LayersModel, autoencoder: tf.LayersModel, seed: number, settings: PictureParams): Promise<RunPictures> {
  const [{ fitPca, projectPca }, { predictRows }] = await Promise.all([import('../src/eval/pca.ts'), import('../src/train/fit.ts')]);
  const features = data.x.length / data.y.length;
  const shown: number[] = [];
  for (let c = 0; c < data.classNames.length; c++) {
    for (const i of split.test) {
      if (shown.filter((j) => data.y[j] === c).length >= settings.perClass) break;
      if (data.y[i] === c) shown.push(i);
    }
  }
  const shownIdx = Int32Array.from(shown);
  const originals = gatherRows(data.x, features, shownIdx, 0, shownIdx.length, new Float32Array(shownIdx.length * features));
  const reconstructed = await predictRows(autoencoder, data.x, features, shownIdx);

  const mapIdx = evenlySpaced(split.test, settings.mapSamples);
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

export const picturesStage: StageDefinition<PictureParams> = {
  name: 'pictures',
  title: 'draw reconstructions and the latent map of the report\'s first seed (image data)',
  version: 1,
  grain: 'report',
  inputs: [prepareStage, pretrainStage],
  usesBackend: true,
  params: () => ({ perClass: 2, mapSamples: 1000 }),
  applies: ({ facts }) => facts.inputKind === 'image',
  run: pictures,
};

runStageAlone(import.meta.url, picturesStage);

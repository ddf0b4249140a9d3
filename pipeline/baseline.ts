/**
 * Stage 4 — baseline. The same classifier (same encoder architecture, same
 * head) from the random weights the autoencoder started from, trained on the
 * same labeled subset with the same optimiser, batches and epoch budget.
 * Only pretraining differs between this arm and the pretrained one.
 */
import { classifierStage } from './classifier-stage.ts';
import { runStageAlone } from './stage-alone.ts';

export const baselineStage = classifierStage({
  name: 'baseline',
  title: 'train the same classifier from random initialisation on each labeled subset',
  version: 2,
  train: async ({ fitOptions }) => {
    const { fit } = await import('../src/train/fit.ts');
    return { curve: await fit(fitOptions) };
  },
});

runStageAlone(import.meta.url, baselineStage);

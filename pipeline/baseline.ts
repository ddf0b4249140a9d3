/**
 * Stage 4 — baseline. The same classifier (same encoder architecture, same
 * head) from the random weights the autoencoder started from, trained on the
 * same labeled subset with the same optimiser, batches and epoch budget.
 * Only pretraining differs between this arm and finetune.
 */
import type { EntryFiles } from '../src/artifacts/store.ts';
import { datasetForSplit } from '../src/data/prepared.ts';
import type { StageContext } from '../src/jobs/context.ts';
import type { ClassifierJob } from '../src/jobs/job.ts';
import { buildEncoder } from '../src/models/autoencoder.ts';
import { outcomeFiles, trainAndEvaluate } from '../src/train/train-classifier.ts';
import { loadSplit } from './prepare.ts';
import { runStageAlone } from './stage-main.ts';

export const BASELINE_VERSION = 1;

export async function baseline(job: ClassifierJob, ctx: StageContext): Promise<EntryFiles> {
  const split = loadSplit(ctx.store, job.splitKey);
  const encoder = buildEncoder(job.model, job.seed);
  const outcome = await trainAndEvaluate({
    job,
    encoder,
    data: datasetForSplit(ctx.dataset, split),
    split,
    backend: ctx.backend,
    onEpoch: (log) => ctx.onEpoch(log, job.train.epochs),
  });
  return outcomeFiles(outcome);
}

runStageAlone(import.meta.url, 'baseline');

/**
 * Stage 3 — finetune. Take the encoder pretrained for this seed (its decoder
 * was discarded), put a softmax classifier head on it, and train every layer
 * on the labeled subset of one budget. Score it on the held-out test set.
 */
import type { EntryFiles } from '../src/artifacts/store.ts';
import { deserialiseModel } from '../src/artifacts/model-io.ts';
import { datasetForSplit } from '../src/data/prepared.ts';
import type { StageContext } from '../src/jobs/context.ts';
import type { ClassifierJob } from '../src/jobs/job.ts';
import { outcomeFiles, trainAndEvaluate } from '../src/train/train-classifier.ts';
import { loadSplit } from './prepare.ts';
import { runStageAlone } from './stage-main.ts';

export const FINETUNE_VERSION = 1;

export async function finetune(job: ClassifierJob, ctx: StageContext): Promise<EntryFiles> {
  if (!job.encoderKey) throw new Error(`${job.id}: a finetune job needs the key of its pretrained encoder`);
  const split = loadSplit(ctx.store, job.splitKey);
  const encoder = await deserialiseModel(
    ctx.store.read('pretrain', job.encoderKey, 'model.json').toString('utf8'),
    ctx.store.read('pretrain', job.encoderKey, 'weights.bin'),
  );
  const outcome = await trainAndEvaluate({
    job,
    arm: 'pretrained',
    encoder,
    data: datasetForSplit(ctx.dataset, split),
    split,
    backend: ctx.backend,
    onEpoch: (log) => ctx.onEpoch(log, job.train.epochs),
  });
  return outcomeFiles(outcome);
}

runStageAlone(import.meta.url, 'finetune');

/**
 * Stage 3 — finetune. Take the encoder pretrained for this seed (its decoder
 * was discarded), put a softmax classifier head on it, and train on the
 * labeled subset of one budget under the arm's strategy:
 *  - pretrained: every layer from the first epoch;
 *  - frozen:     only the head (a linear probe; the encoder's weights never change);
 *  - two-phase:  the head alone for part of the budget, then every layer with
 *                the encoder at a lower learning rate.
 * Every strategy spends the same epoch budget. Score on the held-out test set,
 * and keep the trained classifier (the pseudo-label arm's teacher).
 */
import type { EntryFiles } from '../src/artifacts/store.ts';
import { deserialiseModel } from '../src/artifacts/model-io.ts';
import { datasetForSplit } from '../src/data/prepared.ts';
import type { StageContext } from '../src/jobs/context.ts';
import type { ClassifierJob } from '../src/jobs/job.ts';
import { outcomeFiles, trainAndEvaluate } from '../src/train/train-classifier.ts';
import { loadSplit } from './prepare.ts';
import { runStageAlone } from './stage-main.ts';

export const FINETUNE_VERSION = 2;

export async function finetune(job: ClassifierJob, ctx: StageContext): Promise<EntryFiles> {
  if (!job.encoderKey) throw new Error(`${job.id}: a finetune job needs the key of its pretrained encoder`);
  const split = loadSplit(ctx.store, job.splitKey);
  const encoder = await deserialiseModel(
    ctx.store.read('pretrain', job.encoderKey, 'model.json').toString('utf8'),
    ctx.store.read('pretrain', job.encoderKey, 'weights.bin'),
  );
  const outcome = await trainAndEvaluate({
    job,
    encoder,
    data: datasetForSplit(ctx.dataset, split),
    split,
    backend: ctx.backend,
    onEpoch: (log) => ctx.onEpoch(log, job.train.epochs),
    saveModel: true,
  });
  return outcomeFiles(outcome);
}

runStageAlone(import.meta.url, 'finetune');

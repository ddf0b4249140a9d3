/**
 * Arm beyond the seed — pseudo-label (self-training, Lee 2013). The
 * pretrained arm's fine-tuned classifier (the teacher) predicts the pool
 * examples that have no label; its most confident predictions, at most a
 * fixed number per class, become pseudo-labels. A new classifier starts from
 * the same pretrained encoder and head initialisation as the pretrained arm
 * and trains on labeled + pseudo-labeled rows, with the same optimiser, batch
 * stream and epoch budget (more rows, so more steps per epoch). Only pool
 * indices are ever pseudo-labeled; the test set is only scored.
 */
import type { EntryFiles } from '../src/artifacts/store.ts';
import { deserialiseModel } from '../src/artifacts/model-io.ts';
import { datasetForSplit } from '../src/data/prepared.ts';
import { labeledSubset } from '../src/data/split.ts';
import type { StageContext } from '../src/jobs/context.ts';
import type { ClassifierJob } from '../src/jobs/job.ts';
import { predictRows } from '../src/train/fit.ts';
import { selectPseudoLabels, unlabeledPool } from '../src/train/pseudo-labels.ts';
import { outcomeFiles, trainAndEvaluate } from '../src/train/train-classifier.ts';
import { loadSplit } from './prepare.ts';
import { runStageAlone } from './stage-main.ts';

export const PSEUDO_LABEL_VERSION = 1;

export async function pseudoLabel(job: ClassifierJob, ctx: StageContext): Promise<EntryFiles> {
  if (!job.encoderKey || !job.pseudo) throw new Error(`${job.id}: a pseudo-label job needs its encoder and teacher keys`);
  const split = loadSplit(ctx.store, job.splitKey);
  const data = datasetForSplit(ctx.dataset, split);
  const load = async (stage: string, key: string) => deserialiseModel(ctx.store.read(stage, key, 'model.json').toString('utf8'), ctx.store.read(stage, key, 'weights.bin'));

  const candidates = unlabeledPool(split.pool, labeledSubset(split, job.budget, data.classNames));
  const teacher = await load('finetune', job.pseudo.teacherKey);
  const probabilities = await predictRows(teacher, data.x, job.model.features, candidates);
  teacher.dispose();
  const chosen = selectPseudoLabels(probabilities, candidates, job.model.classCount, job.pseudo.perClass, job.pseudo.threshold);

  const outcome = await trainAndEvaluate({
    job,
    encoder: await load('pretrain', job.encoderKey),
    data,
    split,
    backend: ctx.backend,
    onEpoch: (log) => ctx.onEpoch(log, job.train.epochs),
    extra: chosen,
  });
  // For the record only (never used to train): how often the pseudo-labels are right.
  const correct = chosen.indices.reduce((n, i, k) => n + (data.y[i] === chosen.labels[k] ? 1 : 0), 0);
  const summary = { candidates: candidates.length, chosen: chosen.indices.length, pseudoLabelAccuracy: chosen.indices.length ? correct / chosen.indices.length : null };
  return {
    ...outcomeFiles(outcome),
    'pseudo-labels.json': JSON.stringify({ ...summary, indices: Array.from(chosen.indices), labels: Array.from(chosen.labels) }),
  };
}

runStageAlone(import.meta.url, 'pseudo-label');

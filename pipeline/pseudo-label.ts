/**
 * Arm beyond the seed — pseudo-label (self-training, Lee 2013, with
 * FixMatch-style consistency). The classifier starts exactly where the
 * pretrained arm starts (the pretrained encoder and the shared head
 * initialisation) and trains jointly: each step a labeled mini-batch (the
 * labeled-batch generator, batches running on across epochs) and an unlabeled mini-batch of pool rows that
 * have no label. The unlabeled rows' targets are the network's own current
 * argmax on the clean image, refreshed every step; rows below
 * --pseudo-threshold are left out, and the loss is taken on a corrupted view
 * (random shift, masking), weighted by α(t) ramped up from 0 (Lee's T1, T2).
 * See src/train/pseudo-labels.ts. Only unlabeled pool rows are ever
 * pseudo-labeled; the test set is only scored.
 */
import type { EntryFiles } from '../src/artifacts/store.ts';
import { deserialiseModel } from '../src/artifacts/model-io.ts';
import { UNLABELED } from '../src/data/dataset.ts';
import { datasetForSplit } from '../src/data/prepared.ts';
import { labeledSubset } from '../src/data/split.ts';
import type { StageContext } from '../src/jobs/context.ts';
import type { ClassifierJob } from '../src/jobs/job.ts';
import { argmaxRows } from '../src/eval/metrics.ts';
import { predictRows } from '../src/train/fit.ts';
import { selfTrain, unlabeledPool } from '../src/train/pseudo-labels.ts';
import { outcomeFiles, trainAndEvaluate } from '../src/train/train-classifier.ts';
import { createRng, deriveSeed } from '../src/util/rng.ts';
import { loadSplit } from './prepare.ts';
import { runStageAlone } from './stage-main.ts';

/**
 * 2: joint training with per-step pseudo-labels on a corrupted view (was: one teacher's confident labels, then retraining).
 * 3: masking noise drawn two pixels per draw; labeled batches shifted with --augment-shift.
 */
export const PSEUDO_LABEL_VERSION = 3;

/** How many points the training curve of the arm has. */
const CURVE_POINTS = 50;

export async function pseudoLabel(job: ClassifierJob, ctx: StageContext): Promise<EntryFiles> {
  if (!job.encoderKey || !job.pseudo) throw new Error(`${job.id}: a pseudo-label job needs its encoder key and settings`);
  const settings = job.pseudo;
  const split = loadSplit(ctx.store, job.splitKey);
  const data = datasetForSplit(ctx.dataset, split);
  const encoder = await deserialiseModel(ctx.store.read('pretrain', job.encoderKey, 'model.json').toString('utf8'), ctx.store.read('pretrain', job.encoderKey, 'weights.bin'));
  const unlabeled = unlabeledPool(split.pool, labeledSubset(split, job.budget, data.classNames));
  const shape = job.model.inputShape;
  const imageShape = job.model.inputKind === 'image' && shape.length === 3 ? shape as [number, number, number] : undefined;
  const logEvery = Math.max(1, Math.ceil(settings.steps / CURVE_POINTS));
  const curvePoints = Math.ceil(settings.steps / logEvery);
  let record: Record<string, unknown> = {};

  const outcome = await trainAndEvaluate({
    job,
    encoder,
    data,
    split,
    backend: ctx.backend,
    onEpoch: () => undefined,
    trainer: async (classifier, labeled, targets, labeledRng) => {
      const logs = await selfTrain({
        model: classifier,
        x: data.x,
        features: job.model.features,
        labeled,
        y: targets,
        classCount: job.model.classCount,
        unlabeled,
        steps: settings.steps,
        batchSize: job.train.batchSize,
        unlabeledBatchSize: settings.unlabeledBatchSize,
        learningRate: job.train.learningRate,
        threshold: settings.threshold,
        weight: settings.weight,
        rampStart: Math.round(settings.rampStart * settings.steps),
        rampEnd: Math.round(settings.rampEnd * settings.steps),
        noise: settings.noise,
        shift: settings.shift,
        labeledShift: job.train.augmentShift ?? 0,
        decay: settings.decay,
        imageShape,
        labeledRng,
        unlabeledRng: createRng(deriveSeed(job.seed, 'pseudo-label:unlabeled')),
        noiseRng: createRng(deriveSeed(job.seed, 'pseudo-label:noise')),
        logEvery,
        onLog: (log) => ctx.onEpoch(log, curvePoints),
      });
      // For the record only (never used to train): the final network's pseudo-labels on the unlabeled pool.
      const probabilities = await predictRows(classifier, data.x, job.model.features, unlabeled);
      const predicted = argmaxRows(probabilities, job.model.classCount);
      // Accuracies count only rows whose label is known (truly unlabeled rows have none to compare with).
      let confident = 0;
      let known = 0;
      let knownConfident = 0;
      let right = 0;
      let confidentRight = 0;
      predicted.forEach((label, r) => {
        const isConfident = probabilities[r * job.model.classCount + label] >= settings.threshold;
        confident += isConfident ? 1 : 0;
        const truth = data.y[unlabeled[r]];
        if (truth === UNLABELED) return;
        known++;
        knownConfident += isConfident ? 1 : 0;
        right += truth === label ? 1 : 0;
        confidentRight += isConfident && truth === label ? 1 : 0;
      });
      record = {
        unlabeled: unlabeled.length,
        confidentShare: confident / unlabeled.length,
        pseudoLabelAccuracy: known ? right / known : null,
        confidentPseudoLabelAccuracy: knownConfident ? confidentRight / knownConfident : null,
        curve: logs.map(({ epoch, confidentShare, weight }) => ({ point: epoch, confidentShare, weight })),
      };
      return logs.map(({ epoch, loss, accuracy }) => ({ epoch, loss, accuracy }));
    },
  });
  return { ...outcomeFiles(outcome), 'pseudo-labels.json': JSON.stringify(record) };
}

runStageAlone(import.meta.url, 'pseudo-label');

/**
 * Train one classifier arm on one labeled subset and score it on the test
 * set. Every arm comes through here with the same head initialisation, batch
 * order, optimiser and epoch budget; the arms differ only in the encoder they
 * bring, in how that encoder is allowed to train (the job's strategy), and for
 * pseudo-labelling in a training loop of its own (a `trainer`) that also sees
 * unlabeled pool rows.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.ts';
import { labeledSubset, splitCounts, type Split } from '../data/split.ts';
import { accuracyOf, argmaxRows, confusionMatrix, macroF1Of } from '../eval/metrics.ts';
import type { ArmName, ResultRow } from '../eval/results.ts';
import { serialiseModel, type SavedModelFiles } from '../artifacts/model-io.ts';
import type { ClassifierJob, Strategy } from '../jobs/job.ts';
import { buildClassifier, HEAD_LAYER } from '../models/classifier.ts';
import type { ConfusionRecord, EpochLog, TrainingCurve } from '../report/run-record.ts';
import { createRng, deriveSeed, type Rng } from '../util/rng.ts';
import { shiftImages } from './batches.ts';
import { fit, predictRows, type FitOptions } from './fit.ts';

export interface ClassifierOutcome {
  row: ResultRow;
  curve: TrainingCurve;
  confusion: ConfusionRecord;
}

/** The fraction a result row reports: the budget's own, or for per-class budgets labeled / the labeled examples the pool holds. */
export function reportedFraction(job: ClassifierJob, labeled: number, labeledAvailable: number): number {
  return job.budget.kind === 'fraction' ? job.budget.value : labeled / labeledAvailable;
}

/**
 * Training targets indexed by row: the true label of each labeled row, −1
 * everywhere else. Training reads only this array, so no other row's label
 * (test or unlabeled pool) can reach it.
 */
export function trainingTargets(data: Dataset, labeled: Int32Array): Int32Array {
  const targets = new Int32Array(data.y.length).fill(-1);
  for (const i of labeled) targets[i] = data.y[i];
  return targets;
}

/**
 * A training loop of an arm's own (pseudo-labelling), used instead of the
 * strategy's epochs: given the classifier, the labeled rows, their targets and
 * the shared labeled-batch stream, it trains in place and returns its curve.
 */
export type Trainer = (classifier: tf.LayersModel, labeled: Int32Array, targets: Int32Array, rng: Rng) => Promise<EpochLog[]>;

/** Train `classifier` (built on `encoder`) under a strategy; the epochs add up to `base.epochs` whatever the strategy. */
export async function trainWithStrategy(classifier: tf.LayersModel, encoder: tf.LayersModel, strategy: Strategy, base: FitOptions): Promise<EpochLog[]> {
  if (strategy.kind === 'all') return fit(base);
  const head = classifier.getLayer(HEAD_LAYER).trainableWeights;
  const headOnly = [{ weights: head, learningRate: base.learningRate }];
  if (strategy.kind === 'frozen') return fit({ ...base, groups: headOnly });
  // Two phases on one rng, so the batch order is the one the other arms see over the same epochs.
  const headEpochs = Math.min(base.epochs, strategy.headEpochs);
  const first = headEpochs > 0 ? await fit({ ...base, epochs: headEpochs, groups: headOnly }) : [];
  if (headEpochs === base.epochs) return first;
  const second = await fit({
    ...base,
    epochs: base.epochs - headEpochs,
    firstEpoch: headEpochs + 1,
    groups: [...headOnly, { weights: encoder.trainableWeights, learningRate: base.learningRate * strategy.encoderLearningRateFactor }],
  });
  return [...first, ...second];
}

/**
 * Train and score one arm. Takes ownership of `encoder`: its layers are
 * disposed with the classifier. With `saveModel` the trained classifier comes
 * back serialised (a teacher for pseudo-labelling).
 */
export async function trainAndEvaluate(options: {
  job: ClassifierJob;
  encoder: tf.LayersModel;
  data: Dataset;
  split: Split;
  backend: string;
  onEpoch: (log: EpochLog) => void;
  trainer?: Trainer;
  saveModel?: boolean;
}): Promise<ClassifierOutcome & { model?: SavedModelFiles }> {
  const { job, encoder, data, split } = options;
  const arm = job.arm;
  const labeled = labeledSubset(split, job.budget, data.classNames);
  const classifier = buildClassifier(encoder, job.model.classCount, job.seed);
  const targets = trainingTargets(data, labeled);
  // The same stream for every arm: identical batch order for a paired comparison.
  const rng = createRng(deriveSeed(job.seed, `classifier:${job.budget.kind}:${job.budget.value}`));
  try {
    const started = Date.now();
    const { augmentShift = 0, ...train } = job.train;
    const epochs = options.trainer
      ? await options.trainer(classifier, labeled, targets, rng)
      : await trainWithStrategy(classifier, encoder, job.strategy, {
        model: classifier,
        x: data.x,
        features: job.model.features,
        indices: labeled,
        target: { kind: 'classes', y: targets, classCount: job.model.classCount },
        ...train,
        ...(augmentShift > 0 ? { augment: (inputs: Float32Array, rows: number, batchRng: Rng) => shiftImages(inputs, rows, data.inputShape, augmentShift, batchRng) } : {}),
        rng,
        onEpoch: options.onEpoch,
      });
    const trainSeconds = (Date.now() - started) / 1000;
    const probabilities = await predictRows(classifier, data.x, job.model.features, split.test);
    const predicted = argmaxRows(probabilities, job.model.classCount);
    const truth = Array.from(split.test, (i) => data.y[i]);
    const matrix = confusionMatrix(truth, predicted, job.model.classCount);
    const model = options.saveModel ? await serialiseModel(classifier) : undefined;
    const fraction = reportedFraction(job, labeled.length, splitCounts(data, split).labeledSize);
    return {
      row: {
        dataset: data.name,
        seed: job.seed,
        fraction,
        labeled: labeled.length,
        arm,
        accuracy: accuracyOf(matrix),
        macroF1: macroF1Of(matrix),
        epochs: epochs.length,
        trainSeconds,
        backend: options.backend,
      },
      curve: { seed: job.seed, model: arm, fraction, epochs },
      confusion: { seed: job.seed, fraction, arm, matrix },
      ...(model ? { model } : {}),
    };
  } finally {
    // Disposes the encoder's layers too (the classifier holds them), also when training fails.
    classifier.dispose();
  }
}

/** The files a classifier job stores: its result, and its trained model when one was kept. */
export function outcomeFiles(outcome: ClassifierOutcome & { model?: SavedModelFiles }): Record<string, string | Uint8Array> {
  const { model, ...result } = outcome;
  return { 'result.json': JSON.stringify(result), ...(model ?? {}) };
}

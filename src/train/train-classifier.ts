/**
 * Train one classifier arm on one labeled subset and score it on the test
 * set. Both arms come through here with the same head initialisation, batch
 * order, optimiser and epoch budget; only the encoder they bring differs.
 */
import * as tf from '@tensorflow/tfjs';
import type { Dataset } from '../data/dataset.ts';
import { labeledSubset, type Split } from '../data/split.ts';
import { accuracyOf, argmaxRows, confusionMatrix, macroF1Of } from '../eval/metrics.ts';
import type { ArmName, ResultRow } from '../eval/results.ts';
import type { ClassifierJob } from '../jobs/job.ts';
import { buildClassifier } from '../models/classifier.ts';
import type { ConfusionRecord, EpochLog, TrainingCurve } from '../report/run-record.ts';
import { createRng, deriveSeed } from '../util/rng.ts';
import { fit, predictRows } from './fit.ts';

export interface ClassifierOutcome {
  row: ResultRow;
  curve: TrainingCurve;
  confusion: ConfusionRecord;
}

/** The fraction a result row reports: the budget's own, or labeled / pool size for per-class budgets. */
export function reportedFraction(job: ClassifierJob, labeled: number, poolSize: number): number {
  return job.budget.kind === 'fraction' ? job.budget.value : labeled / poolSize;
}

/** Train and score one arm. Takes ownership of `encoder`: its layers are disposed with the classifier. */
export async function trainAndEvaluate(options: {
  job: ClassifierJob;
  arm: ArmName;
  encoder: tf.LayersModel;
  data: Dataset;
  split: Split;
  backend: string;
  onEpoch: (log: EpochLog) => void;
}): Promise<ClassifierOutcome> {
  const { job, arm, encoder, data, split } = options;
  const labeled = labeledSubset(split, job.budget, data.classNames);
  const classifier = buildClassifier(encoder, job.model.classCount, job.seed);
  const started = Date.now();
  const epochs = await fit({
    model: classifier,
    x: data.x,
    features: job.model.features,
    indices: labeled,
    target: { kind: 'classes', y: data.y, classCount: job.model.classCount },
    ...job.train,
    // The same stream for both arms: identical batch order for a paired comparison.
    rng: createRng(deriveSeed(job.seed, `classifier:${job.budget.kind}:${job.budget.value}`)),
    onEpoch: options.onEpoch,
  });
  const trainSeconds = (Date.now() - started) / 1000;
  const probabilities = await predictRows(classifier, data.x, job.model.features, split.test);
  const predicted = argmaxRows(probabilities, job.model.classCount);
  const truth = Array.from(split.test, (i) => data.y[i]);
  const matrix = confusionMatrix(truth, predicted, job.model.classCount);
  classifier.dispose();
  const fraction = reportedFraction(job, labeled.length, split.pool.length);
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
  };
}

/** The files a classifier job stores. */
export function outcomeFiles(outcome: ClassifierOutcome): Record<string, string> {
  return { 'result.json': JSON.stringify(outcome) };
}

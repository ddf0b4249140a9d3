/**
 * The one scoring function every classifier arm shares: predict a set of
 * rows (the test set, or the validation examples) and compare with their
 * labels. Training never calls it on the test set; the classifier stages call
 * it once, after training.
 */
import type * as tf from '#tfjs';
import type { Dataset } from '../data/dataset.ts';
import { accuracyOf, argmaxRows, confusionMatrix, macroF1Of } from '../eval/metrics.ts';
import { predictRows, type RowPredictor } from './fit.ts';

export interface Score {
  accuracy: number;
  macroF1: number;
  /** matrix[trueClass][predictedClass] = count. */
  confusion: number[][];
}

/**
 * Accuracy, macro-F1 and the confusion matrix of `model` on the rows `indices` of `data`; `predict`
 * computes the model's outputs (during training, fit()'s cheaper one with the same bits).
 */
export async function scoreClassifier(model: tf.LayersModel, data: Dataset, indices: Int32Array, predict?: RowPredictor): Promise<Score> {
  const classCount = data.classNames.length;
  const features = data.x.length / data.y.length;
  const probabilities = await (predict ? predict(data.x, features, indices) : predictRows(model, data.x, features, indices));
  // A row that cannot be predicted (a NaN input) must fail the scoring, not pass as class 0.
  if (!probabilities.every(Number.isFinite)) throw new Error(`scoreClassifier: non-finite predictions for ${indices.length} rows (are their inputs finite?)`);
  const predicted = argmaxRows(probabilities, classCount);
  const truth = Array.from(indices, (i) => data.y[i]);
  const confusion = confusionMatrix(truth, predicted, classCount);
  return { accuracy: accuracyOf(confusion), macroF1: macroF1Of(confusion), confusion };
}

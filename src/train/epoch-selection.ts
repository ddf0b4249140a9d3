/**
 * Which epoch's weights a classifier ends with, by one rule for every arm:
 * the last epoch's, or those of the epoch with the best accuracy on the
 * validation examples (the first such epoch on a tie). Validation accuracy is
 * measured after every epoch either way, for the curves and the results;
 * it never changes training, and the test set is never looked at.
 */
import * as tf from '#tfjs';
import type { Dataset } from '../data/dataset.ts';
import type { EpochLog } from './curves.ts';
import type { RowPredictor } from './fit.ts';
import { scoreClassifier } from './score.ts';

export type EpochRule = 'last' | 'best-val';

export interface SelectedEpoch {
  /** The epoch (or log point) whose weights the model now holds; null without validation under 'last'. */
  epoch: number | null;
  /** Its validation accuracy; null without validation examples. */
  valAccuracy: number | null;
}

export interface EpochSelection {
  /** Score the validation examples after an epoch (pass as a training loop's `evaluate`; fit() gives it its `predict`). */
  evaluate(epoch: number, predict?: RowPredictor): Promise<Partial<EpochLog>>;
  /** Put the selected epoch's weights in place and say which epoch that was. */
  select(): SelectedEpoch;
  /** Free any kept weights (also when training failed). */
  dispose(): void;
}

export function epochSelection(model: tf.LayersModel, data: Dataset, validation: Int32Array, rule: EpochRule): EpochSelection {
  let last: { epoch: number; accuracy: number } | undefined;
  let best: { epoch: number; accuracy: number; weights: tf.Tensor[] } | undefined;
  const forget = () => {
    if (best) tf.dispose(best.weights);
  };
  return {
    async evaluate(epoch, predict) {
      if (validation.length === 0) return {};
      const { accuracy } = await scoreClassifier(model, data, validation, predict);
      last = { epoch, accuracy };
      if (rule === 'best-val' && (best === undefined || accuracy > best.accuracy)) {
        forget();
        best = { epoch, accuracy, weights: model.getWeights().map((w) => tf.keep(w.clone())) };
      }
      return { valAccuracy: accuracy };
    },
    select() {
      if (rule === 'best-val' && best) {
        model.setWeights(best.weights);
        return { epoch: best.epoch, valAccuracy: best.accuracy };
      }
      return { epoch: last?.epoch ?? null, valAccuracy: last?.accuracy ?? null };
    },
    dispose: forget,
  };
}

/**
 * One result row per seed × fraction × arm: the only thing the report's
 * numbers are computed from.
 */
import type { ArmName } from '../arms/index.ts';

export interface ResultRow {
  dataset: string;
  seed: number;
  /** Labeled fraction of the pool (for --labels-per-class runs: labeled / pool size). */
  fraction: number;
  /** Number of labeled examples the classifier was trained on. */
  labeled: number;
  arm: ArmName;
  /** Test accuracy and macro-F1 of the weights --select-epoch kept. */
  accuracy: number;
  macroF1: number;
  /** Validation accuracy of those same weights; NaN (an empty cell) when the run had no validation set. */
  valAccuracy: number;
  epochs: number;
  trainSeconds: number;
  backend: string;
}

/** Column order of results.csv. */
export const RESULT_COLUMNS: (keyof ResultRow)[] = [
  'dataset', 'seed', 'fraction', 'labeled', 'arm', 'accuracy', 'macroF1', 'epochs', 'trainSeconds', 'backend', 'valAccuracy',
];

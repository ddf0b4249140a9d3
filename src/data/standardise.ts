/**
 * Feature scaling and imputation for tables with statistics taken from the training pool only,
 * so test rows never leak into what the model sees during training.
 */
import { UserError } from '../errors.ts';
import type { Dataset } from './dataset.ts';

export interface PoolScaling {
  /** All rows, (value − mean) / std per feature. */
  x: Float32Array;
  mean: Float64Array;
  /** Population std per feature; 1 where the pool std is 0 (a constant column). */
  std: Float64Array;
}

/** Standardise every row with the mean and std of the pool rows (std 0 → 1), so the test set cannot influence the scaling. */
export function standardiseFromPool(x: Float32Array, features: number, poolIndices: ArrayLike<number>): PoolScaling {
  const mean = new Float64Array(features);
  const m2 = new Float64Array(features);
  const count = poolIndices.length;
  if (count === 0) throw new Error('standardiseFromPool: the pool is empty');
  for (let k = 0; k < count; k++) {
    const base = poolIndices[k] * features;
    for (let j = 0; j < features; j++) mean[j] += x[base + j];
  }
  for (let j = 0; j < features; j++) mean[j] /= count;
  for (let k = 0; k < count; k++) {
    const base = poolIndices[k] * features;
    for (let j = 0; j < features; j++) {
      const dlt = x[base + j] - mean[j];
      m2[j] += dlt * dlt;
    }
  }
  const std = new Float64Array(features);
  for (let j = 0; j < features; j++) {
    if (Number.isNaN(mean[j])) throw new Error(`standardiseFromPool: feature ${j} has missing values in the pool; impute before standardising`);
    const s = Math.sqrt(m2[j] / count);
    std[j] = s > 0 ? s : 1;
  }
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const j = i % features;
    out[i] = (x[i] - mean[j]) / std[j];
  }
  return { x: out, mean, std };
}

/** Fill NaN cells of every row with the column's mean over the pool rows that have a value, so imputation never peeks at the test set. */
export function imputeMeanFromPool(x: Float32Array, features: number, poolIndices: ArrayLike<number>): Float32Array {
  const sum = new Float64Array(features);
  const seen = new Float64Array(features);
  for (let k = 0; k < poolIndices.length; k++) {
    const base = poolIndices[k] * features;
    for (let j = 0; j < features; j++) {
      const v = x[base + j];
      if (!Number.isNaN(v)) {
        sum[j] += v;
        seen[j]++;
      }
    }
  }
  const out = Float32Array.from(x);
  for (let i = 0; i < out.length; i++) {
    if (!Number.isNaN(out[i])) continue;
    const j = i % features;
    if (seen[j] === 0) throw new UserError(`feature column ${j + 1} has no value in any training-pool row, so --impute mean has nothing to average; drop that column with --drop-columns`);
    out[i] = sum[j] / seen[j];
  }
  return out;
}

/** True when any feature value is NaN (a CSV loaded with impute 'mean' that still has gaps). */
export function hasMissingValues(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i])) return true;
  return false;
}

/** A table dataset ready for training: pool-mean imputation where needed, then pool standardisation; images are returned unchanged. */
export function prepareTableFromPool(dataset: Dataset, poolIndices: ArrayLike<number>): Dataset {
  if (dataset.inputShape.length !== 1) return dataset;
  const features = dataset.inputShape[0];
  const filled = hasMissingValues(dataset.x) ? imputeMeanFromPool(dataset.x, features, poolIndices) : dataset.x;
  return { ...dataset, x: standardiseFromPool(filled, features, poolIndices).x };
}

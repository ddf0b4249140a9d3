/**
 * Feature scaling and imputation for tables with statistics taken from the training pool only,
 * so test rows never leak into what the model sees during training.
 */
import { UserError } from '../errors.ts';
import { tableValues, type Dataset } from './dataset.ts';

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

/** Each column's mean over the pool rows that have a value (as float32, the value a gap is filled with). */
function poolFillValues(x: Float32Array, features: number, poolIndices: ArrayLike<number>): Float32Array {
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
  const fill = new Float32Array(features);
  for (let j = 0; j < features; j++) {
    if (seen[j] === 0) throw new UserError(`feature column ${j + 1} has no value in any training-pool row, so --impute mean has nothing to average; drop that column with --drop-columns`);
    fill[j] = sum[j] / seen[j];
  }
  return fill;
}

/** Fill NaN cells of every row with the column's mean over the pool rows that have a value, so imputation never peeks at the test set. */
export function imputeMeanFromPool(x: Float32Array, features: number, poolIndices: ArrayLike<number>): Float32Array {
  return fillGaps(x, features, poolFillValues(x, features, poolIndices));
}

function fillGaps(x: Float32Array, features: number, fill: ArrayLike<number>): Float32Array {
  const out = Float32Array.from(x);
  for (let i = 0; i < out.length; i++) if (Number.isNaN(out[i])) out[i] = fill[i % features];
  return out;
}

/** True when any feature value is NaN (a CSV loaded with impute 'mean' that still has gaps). */
export function hasMissingValues(x: Float32Array): boolean {
  for (let i = 0; i < x.length; i++) if (Number.isNaN(x[i])) return true;
  return false;
}

/**
 * How a table's rows are scaled for training, from the pool only: the value each gap is filled with
 * (present only when the table has gaps, i.e. was loaded with --impute mean), then each column's
 * mean and spread. An exported model carries these so new rows are scaled the same way.
 */
export interface TableScaling {
  fill?: number[];
  mean: number[];
  std: number[];
}

/** The scaling of a table's pool rows (see TableScaling). */
export function tableScalingFromPool(dataset: Dataset, poolIndices: ArrayLike<number>): TableScaling {
  const features = dataset.inputShape[0];
  const x = tableValues(dataset);
  const fill = hasMissingValues(x) ? poolFillValues(x, features, poolIndices) : undefined;
  const { mean, std } = standardiseFromPool(fill ? fillGaps(x, features, fill) : x, features, poolIndices);
  return { ...(fill ? { fill: Array.from(fill) } : {}), mean: Array.from(mean), std: Array.from(std) };
}

/** Scale rows (features per row) with a TableScaling: fill gaps, then (value − mean) / std, as training saw them. */
export function applyTableScaling(x: Float32Array, scaling: TableScaling): Float32Array {
  const features = scaling.mean.length;
  const filled = scaling.fill ? fillGaps(x, features, scaling.fill) : x;
  const out = new Float32Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const j = i % features;
    out[i] = (filled[i] - scaling.mean[j]) / scaling.std[j];
  }
  return out;
}

/** A table dataset ready for training: pool-mean imputation where needed, then pool standardisation; images are returned unchanged. */
export function prepareTableFromPool(dataset: Dataset, poolIndices: ArrayLike<number>): Dataset {
  if (dataset.inputShape.length !== 1) return dataset;
  return { ...dataset, x: applyTableScaling(tableValues(dataset), tableScalingFromPool(dataset, poolIndices)) };
}

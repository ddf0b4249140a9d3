/**
 * A dataset as a seed's jobs see it: images unchanged; tables standardised
 * (and mean-imputed) with statistics of that seed's pool only, so nothing
 * about the test rows leaks into training.
 */
import crypto from 'node:crypto';
import type { Dataset } from './dataset.ts';
import { isImageDataset } from './dataset.ts';
import type { Split } from './split.ts';
import { prepareTableFromPool } from './standardise.ts';

const preparedByPool = new WeakMap<Dataset, Map<string, Dataset>>();

/**
 * The dataset prepared for one split. Memoised per dataset and pool (by the
 * pool's content, since each job reads its split afresh), so the jobs of one
 * seed in one process standardise once.
 */
export function datasetForSplit(dataset: Dataset, split: Split): Dataset {
  if (isImageDataset(dataset)) return dataset;
  let byPool = preparedByPool.get(dataset);
  if (!byPool) preparedByPool.set(dataset, (byPool = new Map()));
  const poolKey = crypto.createHash('sha1').update(new Uint8Array(split.pool.buffer, split.pool.byteOffset, split.pool.byteLength)).digest('hex');
  let prepared = byPool.get(poolKey);
  if (!prepared) byPool.set(poolKey, (prepared = prepareTableFromPool(dataset, split.pool)));
  return prepared;
}

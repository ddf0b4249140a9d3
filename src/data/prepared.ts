/**
 * A dataset as a seed's jobs see it: images unchanged; tables standardised
 * (and mean-imputed) with statistics of that seed's pool only, so nothing
 * about the test rows leaks into training.
 */
import type { Dataset } from './dataset.ts';
import { isImageDataset } from './dataset.ts';
import type { Split } from './split.ts';
import { prepareTableFromPool } from './standardise.ts';

const preparedBySeed = new WeakMap<Dataset, Map<number, Dataset>>();

/** The dataset prepared for one split, memoised per dataset and seed (a process loads the dataset once). */
export function datasetForSplit(dataset: Dataset, split: Split): Dataset {
  if (isImageDataset(dataset)) return dataset;
  let bySeed = preparedBySeed.get(dataset);
  if (!bySeed) preparedBySeed.set(dataset, (bySeed = new Map()));
  let prepared = bySeed.get(split.seed);
  if (!prepared) bySeed.set(split.seed, (prepared = prepareTableFromPool(dataset, split.pool)));
  return prepared;
}

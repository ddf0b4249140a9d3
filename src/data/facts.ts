/**
 * The facts of a loaded dataset that shape a plan: its content fingerprint
 * (part of every key), its size and kind, and whether it brings its own test
 * set. Plans, stages and arms read these instead of the whole dataset.
 */
import { datasetFingerprint } from './cache.ts';
import { featureCount, isImageDataset, type Dataset } from './dataset.ts';

export interface DatasetFacts {
  fingerprint: string;
  features: number;
  classCount: number;
  inputKind: 'image' | 'table';
  /** Shape of one sample ([28, 28, 1] for images, [D] for tables). */
  inputShape: number[];
  /** Datasets with an official test set ignore --test-fraction. */
  hasOfficialTest: boolean;
}

/** The facts of a loaded dataset. */
export function datasetFactsOf(dataset: Dataset): DatasetFacts {
  return {
    fingerprint: datasetFingerprint(dataset),
    features: featureCount(dataset),
    classCount: dataset.classNames.length,
    inputKind: isImageDataset(dataset) ? 'image' : 'table',
    inputShape: dataset.inputShape,
    hasOfficialTest: dataset.officialTrainCount !== undefined,
  };
}

/**
 * The one in-memory shape every data source is turned into.
 * Typed arrays end to end: no per-sample JS arrays in the hot path.
 */
export interface Dataset {
  /** Short name for reports, e.g. "embedded-mnist", "mnist", "my.csv". */
  name: string;
  /** N × features, row-major; image values in [0, 1]. */
  x: Float32Array;
  /** N class indices in [0, classNames.length). */
  y: Int32Array;
  /** Shape of one sample: [28, 28, 1] for images or [D] for tables. */
  inputShape: number[];
  /** Human-readable name per class index. */
  classNames: string[];
  /**
   * Where the dataset comes with an official test set (IDX files), the number
   * of leading samples that form the training pool; the rest are the test set.
   * Undefined means the split carves a stratified test set out of all samples.
   */
  officialTrainCount?: number;
}

/** Number of features per sample (the product of inputShape). */
export function featureCount(dataset: Pick<Dataset, 'inputShape'>): number {
  return dataset.inputShape.reduce((a, b) => a * b, 1);
}


/** True when samples are images (height × width × channels), which enables the image-only report parts. */
export function isImageDataset(dataset: Pick<Dataset, 'inputShape'>): boolean {
  return dataset.inputShape.length === 3;
}

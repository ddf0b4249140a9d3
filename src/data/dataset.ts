/**
 * The one in-memory shape every data source is turned into.
 * Typed arrays end to end: no per-sample JS arrays in the hot path.
 */
export interface Dataset {
  /** Short name for reports, e.g. "embedded-mnist", "mnist", "my.csv". */
  name: string;
  /**
   * N × features, row-major; image values in [0, 1]. Images from 8-bit pixels keep them as bytes
   * (k stands for k/255, a quarter of float32's memory); training turns the rows of each batch
   * into float32 (src/train/batches.ts gatherRows), which gives exactly the float32 of k/255.
   */
  x: FeatureValues;
  /**
   * N class indices in [0, classNames.length), or UNLABELED (−1) for a row whose class is not known
   * (an empty CSV label cell, an image from --unlabeled-dir). Unlabeled rows only ever join the
   * unlabeled pool: never the test set or a labeled subset.
   */
  y: Int32Array;
  /** Shape of one sample: [28, 28, 1] for images or [D] for tables. */
  inputShape: number[];
  /** Human-readable name per class index. */
  classNames: string[];
  /** Tables: the name of each feature column, in feature order (predicting on a CSV finds them by name). */
  featureNames?: string[];
  /**
   * Where the dataset comes with an official test set (IDX files), the number
   * of leading samples that form the training pool; the rest are the test set.
   * Undefined means the split carves a stratified test set out of all samples.
   */
  officialTrainCount?: number;
  /**
   * What the loader skipped or doubted (e.g. unreadable image files), one line each; kept in the
   * dataset cache so a cached load says it again.
   */
  warnings?: string[];
}

/** A dataset's values: float32, or bytes standing for byte/255 (see Dataset.x). */
export type FeatureValues = Float32Array | Uint8Array;

/** The float32 value of each byte: BYTE_VALUE[k] is the float32 of k/255. */
export const BYTE_VALUE = Float32Array.from({ length: 256 }, (_, k) => k / 255);

/** The value at index i of x (a byte as byte/255). */
export function valueAt(x: FeatureValues, i: number): number {
  return x instanceof Uint8Array ? BYTE_VALUE[x[i]] : x[i];
}

/** A table's values (tables are float32; bytes stand only for images). */
export function tableValues(dataset: Pick<Dataset, 'x' | 'name'>): Float32Array {
  if (!(dataset.x instanceof Float32Array)) throw new Error(`dataset ${dataset.name}: a table's values must be float32`);
  return dataset.x;
}

/** The y of a row without a label. */
export const UNLABELED = -1;

/** How many rows have a label and how many do not. */
export function labelCounts(dataset: Pick<Dataset, 'y'>): { labeled: number; unlabeled: number } {
  let unlabeled = 0;
  for (const label of dataset.y) if (label === UNLABELED) unlabeled++;
  return { labeled: dataset.y.length - unlabeled, unlabeled };
}

/** Number of features per sample (the product of inputShape). */
export function featureCount(dataset: Pick<Dataset, 'inputShape'>): number {
  return dataset.inputShape.reduce((a, b) => a * b, 1);
}

/** "28×28 greyscale images", "32×32 RGB images" or "12 features", for log lines. */
export function describeShape(dataset: Pick<Dataset, 'inputShape'>): string {
  if (!isImageDataset(dataset)) return `${featureCount(dataset)} features`;
  const [height, width, channels] = dataset.inputShape;
  return `${width}×${height} ${channels === 1 ? 'greyscale' : channels === 3 ? 'RGB' : `${channels}-channel`} images`;
}

/** True when samples are images (height × width × channels), which enables the image-only report parts. */
export function isImageDataset(dataset: Pick<Dataset, 'inputShape'>): boolean {
  return dataset.inputShape.length === 3;
}

/** Class names in numeric order when every name is a number (so "10" follows "9"), else in plain string order. */
export function sortClassNames(names: string[]): string[] {
  const allNumeric = names.every((s) => s !== '' && Number.isFinite(Number(s)));
  return allNumeric ? names.sort((a, b) => Number(a) - Number(b)) : names.sort();
}

/**
 * Reader for the IDX format of MNIST and its look-alikes (Fashion-MNIST, KMNIST):
 * the four standard files in one folder, each gzipped or not.
 */
import { readFile } from 'node:fs/promises';
import { existsSync, statSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { gunzip } from 'node:zlib';
import { promisify } from 'node:util';
import { UserError } from '../errors.ts';
import type { Dataset } from './dataset.ts';

const gunzipAsync = promisify(gunzip);

/** The four standard IDX file names (without `.gz`). */
export const IDX_FILES = {
  trainImages: 'train-images-idx3-ubyte',
  trainLabels: 'train-labels-idx1-ubyte',
  testImages: 't10k-images-idx3-ubyte',
  testLabels: 't10k-labels-idx1-ubyte',
} as const;

/** The IDX magic numbers: unsigned bytes, 3 dimensions (images) or 1 (labels). */
export const IDX_IMAGES_MAGIC = 2051;
export const IDX_LABELS_MAGIC = 2049;

/** Decoded IDX image file: `count` images of rows × cols bytes, row-major. */
export interface IdxImages {
  count: number;
  rows: number;
  cols: number;
  pixels: Uint8Array;
}

export interface IdxLoadOptions {
  /** Dataset name for reports; defaults to the folder's name. */
  name?: string;
  /** Class names by label; defaults to '0', '1', … up to the largest training label. */
  classNames?: string[];
}

/** Path of `<base>.gz` or `<base>` in dir (gz preferred), or undefined, so callers accept either form. */
export function findIdxFile(dir: string, base: string): string | undefined {
  for (const candidate of [join(dir, `${base}.gz`), join(dir, base)]) {
    if (existsSync(candidate)) return candidate;
  }
  return undefined;
}

/** Read a file and gunzip it when it starts with the gzip signature, so `.gz` and raw files both work. */
export async function readMaybeGzipped(file: string): Promise<Uint8Array> {
  let bytes: Buffer;
  try {
    bytes = await readFile(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? String(error);
    throw new UserError(`${file}: cannot be read (${code}); check the path and its permissions`);
  }
  if (bytes.length === 0) throw new UserError(`${file}: the file is empty; download it again`);
  if (bytes.length >= 2 && bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      bytes = await gunzipAsync(bytes);
    } catch (error) {
      throw new UserError(`${file}: the gzip data is corrupt or truncated (${(error as Error).message}); download it again`);
    }
    if (bytes.length === 0) throw new UserError(`${file}: the file is empty after decompression; download it again`);
  }
  return new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.length);
}

function readUint32BE(bytes: Uint8Array, offset: number): number {
  return ((bytes[offset] << 24) | (bytes[offset + 1] << 16) | (bytes[offset + 2] << 8) | bytes[offset + 3]) >>> 0;
}

function checkMagic(bytes: Uint8Array, file: string, expected: number, what: string): void {
  const magic = readUint32BE(bytes, 0);
  if (magic === expected) return;
  const hint =
    magic === IDX_IMAGES_MAGIC ? ' (an image file: are the file names swapped?)'
    : magic === IDX_LABELS_MAGIC ? ' (a label file: are the file names swapped?)'
    : '';
  throw new UserError(`${file}: magic number ${magic}${hint}, expected ${expected} for IDX ${what}; this is not an IDX ${what} file`);
}

function checkLength(bytes: Uint8Array, file: string, expected: number, layout: string): void {
  if (bytes.length < expected) {
    throw new UserError(`${file}: truncated: ${bytes.length} bytes but the header promises ${expected} (${layout}); download it again`);
  }
  if (bytes.length > expected) {
    throw new UserError(`${file}: ${bytes.length - expected} unexpected bytes after the data (header promises ${expected} bytes: ${layout}); the file is corrupt, download it again`);
  }
}

/** Parse an IDX image file (magic 2051): validates the header against the byte length. */
export function parseIdxImages(bytes: Uint8Array, file: string): IdxImages {
  if (bytes.length >= 4) checkMagic(bytes, file, IDX_IMAGES_MAGIC, 'images');
  if (bytes.length < 16) throw new UserError(`${file}: truncated: ${bytes.length} bytes, shorter than the 16-byte IDX image header; download it again`);
  const count = readUint32BE(bytes, 4);
  const rows = readUint32BE(bytes, 8);
  const cols = readUint32BE(bytes, 12);
  if (count === 0) throw new UserError(`${file}: the header says 0 images; the file holds no data`);
  if (rows === 0 || cols === 0 || rows * cols > 1 << 24) {
    throw new UserError(`${file}: implausible image size ${rows}×${cols} in the header; the file is corrupt`);
  }
  checkLength(bytes, file, 16 + count * rows * cols, `16 + ${count}×${rows}×${cols}`);
  return { count, rows, cols, pixels: bytes.subarray(16) };
}

/** Parse an IDX label file (magic 2049): validates the header against the byte length. */
export function parseIdxLabels(bytes: Uint8Array, file: string): Uint8Array {
  if (bytes.length >= 4) checkMagic(bytes, file, IDX_LABELS_MAGIC, 'labels');
  if (bytes.length < 8) throw new UserError(`${file}: truncated: ${bytes.length} bytes, shorter than the 8-byte IDX label header; download it again`);
  const count = readUint32BE(bytes, 4);
  if (count === 0) throw new UserError(`${file}: the header says 0 labels; the file holds no data`);
  checkLength(bytes, file, 8 + count, `8 + ${count}`);
  return bytes.subarray(8);
}

/** The four file paths of an IDX folder; throws a UserError listing what is missing. */
export function resolveIdxFiles(dir: string): Record<keyof typeof IDX_FILES, string> {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) throw new UserError(`${dir}: not a folder; pass the folder that holds the four IDX files`);
  const found: Partial<Record<keyof typeof IDX_FILES, string>> = {};
  const missing: string[] = [];
  for (const [key, base] of Object.entries(IDX_FILES) as [keyof typeof IDX_FILES, string][]) {
    const path = findIdxFile(dir, base);
    if (path) found[key] = path;
    else missing.push(`${base}[.gz]`);
  }
  if (missing.length > 0) {
    throw new UserError(`${resolve(dir)}: missing IDX file(s) ${missing.join(', ')}; put the four standard IDX files (gzipped or not) in that folder`);
  }
  return found as Record<keyof typeof IDX_FILES, string>;
}

/** Load an IDX folder as one Dataset: training samples first, then test samples (officialTrainCount marks the boundary). */
export async function loadIdxDataset(dir: string, options: IdxLoadOptions = {}): Promise<Dataset> {
  const files = resolveIdxFiles(dir);
  const [trainImgBytes, trainLblBytes, testImgBytes, testLblBytes] = await Promise.all([
    readMaybeGzipped(files.trainImages),
    readMaybeGzipped(files.trainLabels),
    readMaybeGzipped(files.testImages),
    readMaybeGzipped(files.testLabels),
  ]);
  const trainImages = parseIdxImages(trainImgBytes, files.trainImages);
  const trainLabels = parseIdxLabels(trainLblBytes, files.trainLabels);
  const testImages = parseIdxImages(testImgBytes, files.testImages);
  const testLabels = parseIdxLabels(testLblBytes, files.testLabels);

  if (trainImages.count !== trainLabels.length) {
    throw new UserError(`${files.trainLabels}: ${trainLabels.length} labels but ${basename(files.trainImages)} has ${trainImages.count} images; the two files must come from the same release`);
  }
  if (testImages.count !== testLabels.length) {
    throw new UserError(`${files.testLabels}: ${testLabels.length} labels but ${basename(files.testImages)} has ${testImages.count} images; the two files must come from the same release`);
  }
  if (testImages.rows !== trainImages.rows || testImages.cols !== trainImages.cols) {
    throw new UserError(`${files.testImages}: images are ${testImages.rows}×${testImages.cols} but training images are ${trainImages.rows}×${trainImages.cols}; the files must come from the same dataset`);
  }

  const classNames = options.classNames ?? defaultClassNames(trainLabels);
  checkLabels(trainLabels, files.trainLabels, classNames, true);
  checkLabels(testLabels, files.testLabels, classNames, false);

  const features = trainImages.rows * trainImages.cols;
  const n = trainImages.count + testImages.count;
  // The pixels stay bytes (Dataset.x): a quarter of the memory of float32.
  const x = new Uint8Array(n * features);
  x.set(trainImages.pixels, 0);
  x.set(testImages.pixels, trainImages.count * features);
  const y = new Int32Array(n);
  y.set(trainLabels, 0);
  y.set(testLabels, trainImages.count);
  return {
    name: options.name ?? basename(resolve(dir)),
    x,
    y,
    inputShape: [trainImages.rows, trainImages.cols, 1],
    classNames: [...classNames],
    officialTrainCount: trainImages.count,
  };
}

function defaultClassNames(trainLabels: Uint8Array): string[] {
  let max = 0;
  for (const v of trainLabels) if (v > max) max = v;
  return Array.from({ length: max + 1 }, (_, i) => String(i));
}

function checkLabels(labels: Uint8Array, file: string, classNames: string[], isTrain: boolean): void {
  const k = classNames.length;
  const seen = new Uint8Array(256);
  for (let i = 0; i < labels.length; i++) {
    const v = labels[i];
    if (v >= k) {
      throw new UserError(`${file}: label ${v} at index ${i} is outside 0..${k - 1} (${k} classes); the labels do not match this dataset's classes`);
    }
    seen[v] = 1;
  }
  if (!isTrain) return;
  const present = seen.reduce((a, b) => a + b, 0);
  if (present < 2) {
    throw new UserError(`${file}: every training label is ${labels[0]} (one class only); a classifier needs at least two classes`);
  }
  for (let c = 0; c < k; c++) {
    if (!seen[c]) throw new UserError(`${file}: no training sample has label ${c} (${classNames[c]}); every class needs training examples`);
  }
}

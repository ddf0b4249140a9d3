/**
 * The classifier a run hands over (<out>/model/): a tfjs LayersModel (model.json + weights.bin, the
 * files tf.loadLayersModel reads from a URL in a browser, or through an IO handler in Node), with
 * labels.json (class names in output order), preprocessing.json (how an image or a table row
 * becomes the row of numbers the model takes) and about.json (which classifier it is and how it
 * scored on the run's test set). Written as one folder, atomically; read back with checks that
 * name the file at fault.
 */
import fs from 'node:fs';
import path from 'node:path';
import { writeFolderAtomic } from '../artifacts/atomic.ts';
import { deserialiseModel, MODEL_FILES } from '../artifacts/model-io.ts';
import { isImageDataset, type Dataset } from '../data/dataset.ts';
import type { Split } from '../data/split.ts';
import { tableScalingFromPool, type TableScaling } from '../data/standardise.ts';
import { UserError } from '../errors.ts';
import type * as tf from '#tfjs';

export const EXPORT_FILES = { ...MODEL_FILES, labels: 'labels.json', preprocessing: 'preprocessing.json', about: 'about.json' } as const;

/** The folder inside a run's report folder that holds the exported model. */
export const MODEL_FOLDER = 'model';

/** Images: decode, upright, no alpha, greyscale or RGB, stretched to width × height, bytes / 255, flattened height × width × channels. */
export interface ImagePreprocessing {
  kind: 'image';
  width: number;
  height: number;
  channels: 1 | 3;
  features: number;
  steps: string[];
}

/** Table rows: the named columns in this order, gaps filled (when the model was trained with --impute mean), then (value − mean) / std. */
export interface TablePreprocessing extends TableScaling {
  kind: 'table';
  columns: string[];
  features: number;
  steps: string[];
}

export type Preprocessing = ImagePreprocessing | TablePreprocessing;

/** Which classifier was exported, and how it did. */
export interface ModelAbout {
  arm: string;
  seed: number;
  /** Labeled examples it trained on, and that as a fraction of the labeled examples in the pool. */
  labeled: number;
  fraction: number;
  /** Accuracy on the run's held-out test set, and that set's size. */
  testAccuracy: number;
  testSize: number;
  dataset: string;
  createdAt: string;
}

/** An exported model read back: the network and what it needs to be used. */
export interface ExportedModel {
  model: tf.LayersModel;
  labels: string[];
  preprocessing: Preprocessing;
  about: ModelAbout;
}

/** How this dataset's inputs become model rows, with the statistics of the split the model trained on. */
export function preprocessingFor(dataset: Dataset, split: Split): Preprocessing {
  if (isImageDataset(dataset)) {
    const [height, width, channels] = dataset.inputShape;
    if (channels !== 1 && channels !== 3) throw new Error(`an image model with ${channels} channels cannot be exported: its inputs could not be prepared`);
    return {
      kind: 'image', width, height, channels, features: width * height * channels,
      steps: [
        'decode the image (PNG, JPEG or WebP) with sharp',
        'turn it upright by its EXIF orientation and drop any alpha channel',
        channels === 1 ? 'convert it to greyscale (one channel)' : 'convert it to sRGB (three channels)',
        `resize it to ${width}×${height} by stretching (no cropping)`,
        'divide each byte by 255 (values in [0, 1])',
        'flatten it as height × width × channels, row-major: one row of features',
      ],
    };
  }
  const columns = dataset.featureNames;
  if (!columns) throw new Error(`dataset ${dataset.name}: a table without feature names cannot be exported`);
  const scaling = tableScalingFromPool(dataset, split.pool);
  return {
    kind: 'table', columns, features: columns.length, ...scaling,
    steps: [
      'take the columns named in "columns", in that order (other columns are ignored)',
      scaling.fill ? 'fill an empty cell with the value in "fill" (the training pool\'s mean of that column)' : 'an empty cell is an error (the model was trained without --impute mean)',
      'subtract "mean" and divide by "std", column by column (the training pool\'s statistics)',
    ],
  };
}

/** Write the model folder atomically (replacing an older export). */
export async function writeExportedModel(dir: string, files: { modelJson: string; weights: Uint8Array; labels: string[]; preprocessing: Preprocessing; about: ModelAbout }): Promise<void> {
  const json = (value: unknown) => `${JSON.stringify(value, null, 2)}\n`;
  const contents: Record<string, string | Uint8Array> = {
    [EXPORT_FILES.json]: files.modelJson,
    [EXPORT_FILES.weights]: files.weights,
    [EXPORT_FILES.labels]: json(files.labels),
    [EXPORT_FILES.preprocessing]: json(files.preprocessing),
    [EXPORT_FILES.about]: json(files.about),
  };
  await writeFolderAtomic(dir, async (staging) => {
    for (const [name, data] of Object.entries(contents)) await fs.promises.writeFile(path.join(staging, name), data);
  });
}

/** Read an exported model folder; a one-line UserError naming what is missing or wrong. */
export async function readExportedModel(dir: string): Promise<ExportedModel> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new UserError(`--model ${dir} is not a folder: give the model/ folder of a run (reports/<run>/model).`);
  }
  const file = (name: string): Buffer => {
    try {
      return fs.readFileSync(path.join(dir, name));
    } catch {
      throw new UserError(`--model ${dir} has no ${name}: give the model/ folder a run wrote (it holds ${Object.values(EXPORT_FILES).join(', ')}).`);
    }
  };
  const json = <T>(name: string): T => {
    try {
      return JSON.parse(file(name).toString('utf8')) as T;
    } catch (error) {
      if (error instanceof UserError) throw error;
      throw new UserError(`${path.join(dir, name)} is not valid JSON (${(error as Error).message}): export the model again by rerunning the pipeline.`);
    }
  };
  const labels = json<string[]>(EXPORT_FILES.labels);
  const preprocessing = json<Preprocessing>(EXPORT_FILES.preprocessing);
  const about = json<ModelAbout>(EXPORT_FILES.about);
  if (!Array.isArray(labels) || labels.length < 2 || !labels.every((label) => typeof label === 'string')) {
    throw new UserError(`${path.join(dir, EXPORT_FILES.labels)} should list the class names (at least two strings): export the model again.`);
  }
  if (preprocessing?.kind !== 'image' && preprocessing?.kind !== 'table') {
    throw new UserError(`${path.join(dir, EXPORT_FILES.preprocessing)} says neither "image" nor "table" as its kind: export the model again.`);
  }
  const modelJson = file(EXPORT_FILES.json).toString('utf8');
  const weights = file(EXPORT_FILES.weights);
  let model: tf.LayersModel;
  try {
    model = await deserialiseModel(modelJson, weights);
  } catch (error) {
    throw new UserError(`${dir}: the model files do not load (${(error as Error).message.split('\n')[0]}): export the model again.`);
  }
  const inputs = model.inputs[0].shape[1];
  const outputs = model.outputs[0].shape[1];
  if (inputs !== preprocessing.features || outputs !== labels.length) {
    model.dispose();
    throw new UserError(`${dir}: the model takes ${inputs} features and gives ${outputs} classes, but preprocessing.json makes ${preprocessing.features} and labels.json names ${labels.length}: export the model again.`);
  }
  return { model, labels, preprocessing, about };
}

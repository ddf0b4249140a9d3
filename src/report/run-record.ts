/**
 * What a finished run leaves in its report folder, besides the report itself.
 * The report stage reads only these files, so `npm run report -- <folder>`
 * can rebuild a report without training anything.
 *
 *   results.csv      ResultRow per seed × fraction × arm (src/eval/results.ts)
 *   params.json      RunParams
 *   curves.json      TrainingCurve[]
 *   confusion.json   ConfusionRecord[]
 *   pictures.json    RunPictures (image datasets only; absent for tables)
 */
import type { ArmName } from '../arms/index.ts';
import type { ArmSettings } from '../config.ts';
import type { EnvironmentInfo } from '../util/environment.ts';

export interface DatasetInfo {
  name: string;
  inputShape: number[];
  classNames: string[];
  poolSize: number;
  testSize: number;
  /** Of the pool: examples with a label (the labeled subsets are drawn from these) and without one. Absent in runs before unlabeled data existed (then every pool example was labeled). */
  labeledSize?: number;
  unlabeledSize?: number;
  /** Content fingerprint of the loaded data (src/data/cache.ts datasetFingerprint). */
  fingerprint?: string;
}

export interface RunParams {
  runId: string;
  /** ISO timestamp of the run's start. */
  createdAt: string;
  /** The resolved configuration (every option, after presets and defaults). */
  config: Record<string, unknown>;
  /** The preset the run started from, and how its settings were chosen ('test' makes the report warn). */
  preset?: { name: string; chosenOn: 'test' | 'validation' | 'none'; stillFromTest?: string } | null;
  /** How each setting got its value: 'default', 'preset', 'user', or 'validation' (chosen by npm run tune). */
  selection?: Record<string, string>;
  /** npm run tune: the trials per arm and what each arm kept, per label budget. */
  tuning?: TuningRecord;
  environment: EnvironmentInfo;
  dataset: DatasetInfo;
  /** Seconds of work per stage: the sum over the stage's jobs run this time (cached jobs count 0; parallel jobs overlap). */
  stageSeconds: Record<string, number>;
  totalSeconds: number;
  /** The classifier the run exported (absent in runs from before exporting). */
  exportedModel?: ExportedModelInfo;
}

/** Which classifier a run exported to its model folder, and its test accuracy. */
export interface ExportedModelInfo {
  /** The folder inside the run folder. */
  folder: string;
  arm: string;
  seed: number;
  labeled: number;
  fraction: number;
  testAccuracy: number;
}

/** What tuning chose, per arm and label budget (tuning.csv beside params.json has every trial). */
export interface TuningRecord {
  /** Trials per arm (the baseline's included); trial 1 is the run's own settings. */
  trials: number;
  chosen: { arm: string; labeled: number; trial: number; settings: Record<string, number | string>; valAccuracy: number; follows?: string }[];
}

export interface ConfusionRecord {
  seed: number;
  fraction: number;
  arm: ArmName;
  /** matrix[trueClass][predictedClass] = count on the test set. */
  matrix: number[][];
}

export interface RunPictures {
  seed: number;
  inputShape: number[];
  /** Test images and their reconstructions, values in [0, 1], n × features each, row-major. */
  reconstruction: { originals: number[]; reconstructed: number[]; count: number };
  /** 2-D PCA projections of test samples: of the encoder's latent vectors and of the raw pixels. */
  latentMap: { labels: number[]; latent2d: number[]; pixels2d: number[]; latentExplained: number; pixelsExplained: number };
}

/** A run's per-arm settings as params.json recorded them (none in runs from before they existed). */
export function recordedArmSettings(config: RunParams['config']): ArmSettings[] {
  return Array.isArray(config.armSettings) ? config.armSettings as ArmSettings[] : [];
}

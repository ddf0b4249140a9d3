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
import type { EnvironmentInfo } from '../util/environment.ts';

export interface DatasetInfo {
  name: string;
  inputShape: number[];
  classNames: string[];
  poolSize: number;
  testSize: number;
  /** Content fingerprint of the loaded data (src/data/cache.ts datasetFingerprint). */
  fingerprint?: string;
}

export interface RunParams {
  runId: string;
  /** ISO timestamp of the run's start. */
  createdAt: string;
  /** The resolved configuration (every option, after presets and defaults). */
  config: Record<string, unknown>;
  environment: EnvironmentInfo;
  dataset: DatasetInfo;
  /** Seconds of work per stage: the sum over the stage's jobs run this time (cached jobs count 0; parallel jobs overlap). */
  stageSeconds: Record<string, number>;
  totalSeconds: number;
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

/**
 * The one PipelineConfig type, its defaults and its presets. Every number
 * that shapes a run lives here, so a run is fully described by its config
 * (which params.json records).
 */
export type BackendChoice = 'auto' | 'native' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'native', 'wasm', 'cpu'];

export const DATASET_CHOICES = ['embedded', 'mnist', 'fashion-mnist', 'kmnist', 'idx', 'csv'] as const;
export type DatasetChoice = (typeof DATASET_CHOICES)[number];

export interface PipelineConfig {
  /** Which data to use; 'embedded' is the mnist package's 10,000 digits. */
  dataset: DatasetChoice;
  /** Folder with the four IDX files (--dataset idx). */
  dataDir: string;
  /** CSV file, its label column, columns to ignore, and what to do with missing cells (--dataset csv). */
  csv: string;
  labelColumn: string;
  dropColumns: string[];
  impute: 'none' | 'mean';
  /** Fetch a named dataset's files when they are missing. */
  download: boolean;
  /** Where stage outputs and decoded datasets are cached (named datasets live in <cacheDir>/datasets/<name>). */
  cacheDir: string;
  /** Share of all samples held out as the test set (datasets without an official test set). */
  testFraction: number;
  /** Labeled fractions of the pool, ascending; empty when labelsPerClass is used. */
  labeled: number[];
  /** Labeled examples per class, ascending; empty when fractions are used. */
  labelsPerClass: number[];
  /** Seeds; each fixes the split, the labeled subsets and every initialisation. */
  seeds: number[];
  /** Width of the encoder's hidden layer. */
  hidden: number;
  /** Size of the latent code z (a linear layer). */
  latent: number;
  /** Share of input pixels zeroed during pretraining (masking noise for a denoising autoencoder); 0 disables. */
  noise: number;
  pretrainEpochs: number;
  finetuneEpochs: number;
  /** Mini-batch size of the classifier arms (small: a 1 % subset holds only ~80 examples). */
  batchSize: number;
  /** Mini-batch size of autoencoder pretraining (large: the pool is big, and larger batches train faster per sample). */
  pretrainBatchSize: number;
  learningRate: number;
  backend: BackendChoice;
  /** Folder the report goes into; empty means reports/<run id>. */
  out: string;
  quiet: boolean;
}

export const DEFAULT_CONFIG: PipelineConfig = {
  dataset: 'embedded',
  dataDir: '',
  csv: '',
  labelColumn: '',
  dropColumns: [],
  impute: 'none',
  download: false,
  cacheDir: 'data',
  testFraction: 0.2,
  labeled: [0.01, 0.05, 0.1],
  labelsPerClass: [],
  seeds: [1, 2, 3],
  hidden: 256,
  latent: 64,
  noise: 0.3,
  pretrainEpochs: 20,
  finetuneEpochs: 50,
  batchSize: 32,
  pretrainBatchSize: 128,
  learningRate: 0.001,
  backend: 'auto',
  out: '',
  quiet: false,
};

/**
 * Named presets: partial configs applied over the defaults and under any
 * option the user gives explicitly.
 */
export const PRESETS: Record<string, Partial<PipelineConfig>> = {
  /** A smoke test that finishes in seconds: one seed, few epochs, two fractions. */
  quick: { labeled: [0.01, 0.05], seeds: [1], pretrainEpochs: 2, finetuneEpochs: 5, hidden: 64, latent: 16 },
};

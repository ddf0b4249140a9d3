/**
 * The one PipelineConfig type, its defaults and its presets. Every number
 * that shapes a run lives here, so a run is fully described by its config
 * (which params.json records).
 */

/** Corruption of a denoising autoencoder's input: zero a share of values, or add gaussian noise of that standard deviation. */
export type NoiseType = 'mask' | 'gaussian';

export type BackendChoice = 'auto' | 'native' | 'wasm' | 'cpu';
export const BACKEND_CHOICES: BackendChoice[] = ['auto', 'native', 'wasm', 'cpu'];

/**
 * A dataset source's own settings as its options gave them (src/data/sources/): plain JSON keyed by
 * the camelCase option names (dataDir for --data-dir), only the options given, paths absolute.
 */
export type DatasetOptions = { readonly [field: string]: string | number | boolean | readonly string[] };

/**
 * Settings of one arm that differ from the run's: at one label budget (`budget`, as the report names it:
 * "10 per class", "fraction 0.05") or at every budget (no `budget`). What `npm run tune` kept, and how a
 * preset or a config file carries it; a step-matched control follows the arm it controls.
 */
export interface ArmSettings {
  arm: string;
  budget?: string;
  /** Config keys (learningRate, finetuneEpochs, …) and their values. */
  settings: Record<string, number | string>;
}

export interface PipelineConfig {
  /** Which data to use: a name a dataset source answers to (src/data/sources.ts); 'embedded' is the mnist package's 10,000 digits. */
  dataset: string;
  /** That source's settings from its own options (--data-dir, --csv, …). */
  datasetOptions: DatasetOptions;
  /** Where stage outputs and decoded datasets are cached (named datasets live in <cacheDir>/datasets/<name>). */
  cacheDir: string;
  /** Share of each class's labeled samples held out as the test set (datasets without an official test set). */
  testFraction: number;
  /** Labeled fractions of the labeled examples in the pool, ascending (1 = all of them); empty when labelsPerClass is used. */
  labeled: number[];
  /** Labeled examples per class, ascending; empty when fractions are used. */
  labelsPerClass: number[];
  /**
   * Labeled examples per class held out of the pool as the validation set (0 = none): never labeled for
   * training, scored after every epoch, the only thing tuning and --select-epoch best-val may look at.
   */
  validation: number;
  /** Which epoch's weights are scored on the test set, by the same rule for every arm: the last, or the best on validation. */
  selectEpoch: 'last' | 'best-val';
  /** Seeds; each fixes the split, the labeled subsets and every initialisation. */
  seeds: number[];
  /** Encoder family (src/models/encoders/): mlp, classic or conv. */
  encoder: string;
  /** Width of the mlp encoder's last hidden layer (earlier layers are twice as wide each). */
  hidden: number;
  /** Number of mlp hidden layers. */
  depth: number;
  /** Size of the latent code z. */
  latent: number;
  /** Denoising strength: share of values zeroed (mask) or the standard deviation of added noise (gaussian); 0 disables. */
  noise: number;
  noiseType: NoiseType;
  /** Spread of each pretrained latent dimension after rescaling; 0 = a fresh encoder's average spread (see latent-scale.ts). */
  latentStd: number;
  /** Arms trained and compared with the baseline (which always runs); names of src/arms/. */
  arms: string[];
  /** Per-arm settings over the run's own, for one label budget or all (empty: every arm shares the run's settings). */
  armSettings: ArmSettings[];
  /** two-phase: share of the epoch budget that trains only the head, the encoder frozen. */
  headEpochShare: number;
  /** two-phase: the encoder's learning rate in phase two, as a multiple of the head's. */
  encoderLearningRateFactor: number;
  /** pseudo-label: joint training steps (one labeled and one unlabeled mini-batch each). */
  pseudoSteps: number;
  /** pseudo-label: unlabeled mini-batch size. */
  pseudoBatchSize: number;
  /** pseudo-label: only unlabeled rows the current network gives at least this probability count. */
  pseudoThreshold: number;
  /** pseudo-label: final weight α_f of the unlabeled loss. */
  pseudoWeight: number;
  /** pseudo-label: α is 0 until this share of the steps, then rises linearly to α_f at the second share (Lee's T1, T2). */
  pseudoRamp: [number, number];
  /** pseudo-label: masking rate of the corrupted unlabeled view. */
  pseudoNoise: number;
  /** pseudo-label: largest random shift (pixels) of the corrupted unlabeled view, images only. */
  pseudoShift: number;
  /** pseudo-label: learning-rate schedule over the steps, none (constant) or cosine (FixMatch's lr·cos(7πt / 16T)). */
  pseudoDecay: 'none' | 'cosine';
  pretrainEpochs: number;
  finetuneEpochs: number;
  /** Mini-batch size of the classifier arms. */
  batchSize: number;
  /**
   * Classifier arms on image data: shift each labeled training image by a random whole number of
   * pixels in [−N, N] per axis, anew each epoch (0 = off). Every arm, the baseline included, gets it.
   */
  augmentShift: number;
  /** Mini-batch size of autoencoder pretraining (larger batches run the pool much faster). */
  pretrainBatchSize: number;
  /** Adam learning rate of the classifier arms. */
  learningRate: number;
  /** Adam learning rate of autoencoder pretraining. */
  pretrainLearningRate: number;
  backend: BackendChoice;
  /** Folder the report goes into; empty means reports/<run id>. */
  out: string;
  /**
   * The arm whose classifier the run exports to <out>/model/ (the one trained on the largest label
   * budget of the first seed); '' = the arm with the best validation accuracy there (without
   * validation examples: pretrained when it runs, else the first of `arms`).
   */
  exportArm: string;
  quiet: boolean;
}

export const DEFAULT_CONFIG: PipelineConfig = {
  dataset: 'embedded',
  datasetOptions: {},
  cacheDir: 'data',
  testFraction: 0.2,
  labeled: [0.01, 0.05, 0.1],
  labelsPerClass: [],
  // Oliver et al. (2018): a validation set no larger than the smallest labeled set; 5 per class is below the default 8.
  validation: 5,
  selectEpoch: 'last',
  seeds: [1, 2, 3],
  encoder: 'mlp',
  hidden: 256,
  depth: 1,
  latent: 64,
  noise: 0.3,
  noiseType: 'mask',
  latentStd: 0,
  arms: ['pretrained'],
  armSettings: [],
  headEpochShare: 0.5,
  encoderLearningRateFactor: 0.1,
  pseudoSteps: 3000,
  pseudoBatchSize: 128,
  pseudoThreshold: 0.95,
  pseudoWeight: 1,
  pseudoRamp: [0.1, 0.4],
  pseudoNoise: 0.3,
  pseudoShift: 2,
  pseudoDecay: 'none',
  pretrainEpochs: 20,
  finetuneEpochs: 50,
  batchSize: 32,
  augmentShift: 0,
  pretrainBatchSize: 128,
  learningRate: 0.001,
  pretrainLearningRate: 0.001,
  backend: 'auto',
  out: '',
  exportArm: '',
  quiet: false,
};

/**
 * Named presets: partial configs applied over the defaults and under any
 * option the user gives explicitly, with how their settings were chosen
 * (a preset tuned by looking at test scores makes optimistic numbers, and the
 * report says so).
 */
export interface Preset {
  settings: Partial<PipelineConfig>;
  /** 'test': picked by comparing test results; 'validation': by `npm run tune`; 'none': not tuned (a smoke test). */
  chosenOn: 'test' | 'validation' | 'none';
  /** With 'validation': the settings tuning did not choose, which were picked earlier by test results (the report's caveat names them). */
  stillFromTest?: string;
}

export const PRESETS: Record<string, Preset> = {
  /**
   * A smoke test that finishes in about 7 s: one seed, two fractions, the default model trained
   * briefly (a smaller model or fewer steps made pretraining look harmful, which misleads a first look).
   */
  quick: { chosenOn: 'none', settings: { labeled: [0.01, 0.05], seeds: [1], pretrainEpochs: 4, pretrainBatchSize: 64, finetuneEpochs: 20 } },
  /**
   * Full MNIST at 10 and 100 labels per class, 3 seeds (docs/arms.md has the numbers): a two-layer
   * (784-512-256-64) denoising mlp autoencoder, masking 0.5, 40 epochs in large batches; a long, slow
   * fine-tuning budget (600 epochs at Adam 0.001) for every arm, the baseline included; labeled images
   * shifted by up to 2 pixels in every arm (the baseline too); the pseudo-label arm at twice its default
   * steps. Those settings were found by comparing test errors before semisup had a validation split.
   * Then `npm run tune -- --preset paper --dataset idx --data-dir <full MNIST> --trials 3` re-chose each
   * arm's classifier settings on the validation split (3 trials per arm, the baseline's too, trial 1 being
   * the settings above): at 10 per class every arm kept trial 1; at 100 per class the baseline, the
   * pretrained arm and pseudo-label chose a third of the learning rate (and pseudo-label its own
   * threshold and weight), which armSettings carries.
   */
  paper: {
    chosenOn: 'validation',
    stillFromTest: 'encoder, pretraining and starting classifier settings (trial 1 of the tuning, which most arms kept)',
    settings: {
      labeled: [], labelsPerClass: [10, 100], seeds: [1, 2, 3],
      encoder: 'mlp', hidden: 256, depth: 2, latent: 64, noise: 0.5, noiseType: 'mask',
      pretrainEpochs: 40, pretrainBatchSize: 256, pretrainLearningRate: 0.001,
      finetuneEpochs: 600, batchSize: 32, learningRate: 0.001, augmentShift: 2,
      arms: ['pretrained', 'frozen', 'two-phase', 'pca', 'pseudo-label'], pseudoSteps: 6000,
      armSettings: [
        { arm: 'baseline', budget: '100 per class', settings: { learningRate: 0.000344 } },
        { arm: 'pretrained', budget: '100 per class', settings: { learningRate: 0.000344 } },
        { arm: 'pseudo-label', budget: '100 per class', settings: { learningRate: 0.000344, pseudoThreshold: 0.843, pseudoWeight: 1.35 } },
      ],
    },
  },
};

/** The values `config` holds for the settings `keys` (as --arm-settings, tuning trials and params.json write them). */
export function configValues(config: PipelineConfig, keys: Iterable<string>): Record<string, number | string> {
  return Object.fromEntries([...keys].map((key) => [key, (config as unknown as Record<string, number | string>)[key]]));
}

/**
 * The config one arm trains with at one label budget: the run's, with the arm's own settings over it
 * (those for every budget first, then the budget's). A control takes the settings of the arm it controls,
 * so that only the unlabeled data differ between the two.
 */
export function armConfig(config: PipelineConfig, arm: { name: string; controlFor?: string }, budget: string): PipelineConfig {
  const own = arm.controlFor ?? arm.name;
  const entries = config.armSettings.filter((entry) => entry.arm === own && (entry.budget === undefined || entry.budget === budget));
  if (entries.length === 0) return config;
  const settings = Object.assign({}, ...entries.sort((a, b) => Number(a.budget !== undefined) - Number(b.budget !== undefined)).map((entry) => entry.settings)) as Partial<PipelineConfig>;
  return { ...config, ...settings };
}

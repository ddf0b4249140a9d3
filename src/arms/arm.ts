/**
 * What an arm is: one way of training the classifier that the report
 * compares with the baseline. An arm names the stage that trains it, whether
 * it starts from the pretrained encoder, its own settings (part of its jobs'
 * keys), and how the report shows it. Everything that lists, checks, colours
 * or describes arms derives from these declarations (src/arms/index.ts).
 */
import type { PipelineConfig } from '../config.ts';
import type { DatasetFacts } from '../data/facts.ts';

/** A range tuning draws a setting from (src/tune/search-space.ts). */
export type Range =
  | { log: [number, number] }
  | { uniform: [number, number] }
  | { int: [number, number] }
  | { choice: (number | string)[] };

/** Ranges by config setting (camelCase, as in params.json). */
export type SearchSpace = Record<string, Range>;

/** The settings every classifier arm has, which tuning may vary and an arm may set for itself (--arm-settings); pretraining is shared by the arms. */
export const CLASSIFIER_SETTINGS = ['learningRate', 'finetuneEpochs', 'batchSize', 'augmentShift'] as const;

/** The settings an arm may have of its own: every classifier's and those of its search space. */
export function ownSettingsOf(arm: ArmDefinition, config: PipelineConfig): string[] {
  return [...CLASSIFIER_SETTINGS, ...Object.keys(arm.searchSpace?.(config) ?? {})];
}

export interface ArmDefinition {
  /** Its name in --arms, results.csv and the report. */
  readonly name: string;
  /** The stage (pipeline/<stage>.ts) whose jobs train it. */
  readonly stage: string;
  /** Starts from the encoder pretrained for its seed, so its jobs wait for that pretraining job. */
  readonly usesEncoder: boolean;
  /** The reference every other arm is compared with (the baseline; always run). */
  readonly reference?: boolean;
  /** Not autoencoder pretraining but another use of the unlabeled pool, run as a reference point; never the headline. */
  readonly beyondSeed?: boolean;
  /** Its colour in every chart (fixed, so an arm keeps its colour across charts and reports). */
  readonly colour: string;
  /** What it changes, as the subject of a sentence: "pretraining helps". */
  readonly subject: string;
  /** One clause saying what it is. */
  readonly description: string;
  /**
   * The arm this one is the step-matched control of: the same budget, batches and augmentation without
   * the unlabeled data, run whenever that arm runs and compared with it, so its Δ cannot be the budget's.
   */
  readonly controlFor?: string;
  /** Said in the report when its training budget is not the shared epoch budget. */
  readonly budgetNote?: string;
  /** Its own settings, added to its jobs' parameters (and so to their keys). */
  readonly settings?: (config: PipelineConfig, facts: DatasetFacts) => object;
  /** The ranges `npm run tune` may try for its own settings (config keys), besides those every arm has. */
  readonly searchSpace?: (config: PipelineConfig) => SearchSpace;
  /** A mini-batch of its own that is larger than the classifiers' (the memory check sizes training by the largest). */
  readonly trainingBatch?: (config: PipelineConfig) => { option: string; size: number; rows: number };
  /** Throws a UserError before any work when it cannot run with this config on these data. */
  readonly check?: (config: PipelineConfig, facts: DatasetFacts) => void;
}

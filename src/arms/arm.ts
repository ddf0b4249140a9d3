/**
 * What an arm is: one way of training the classifier that the report
 * compares with the baseline. An arm names the stage that trains it, whether
 * it starts from the pretrained encoder, its own settings (part of its jobs'
 * keys), and how the report shows it. Everything that lists, checks, colours
 * or describes arms derives from these declarations (src/arms/index.ts).
 */
import type { PipelineConfig } from '../config.ts';
import type { DatasetFacts } from '../data/facts.ts';

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
  /** Said in the report when its training budget is not the shared epoch budget. */
  readonly budgetNote?: string;
  /** Its own settings, added to its jobs' parameters (and so to their keys). */
  readonly settings?: (config: PipelineConfig, facts: DatasetFacts) => object;
  /** Throws a UserError before any work when it cannot run with this config on these data. */
  readonly check?: (config: PipelineConfig, facts: DatasetFacts) => void;
}

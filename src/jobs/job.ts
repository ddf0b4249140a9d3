/**
 * A job is one unit of cached work: a stage applied to one seed (and, for
 * classifiers, one label budget). Jobs are plain JSON so they can be hashed
 * into keys, printed by --dry-run and sent to worker processes.
 */
import type { LabelBudget } from '../data/split.ts';

export type StageName = 'prepare' | 'pretrain' | 'finetune' | 'baseline';
export const STAGES: StageName[] = ['prepare', 'pretrain', 'finetune', 'baseline'];

/** Architecture shared by the autoencoder and both classifier arms. */
export interface ModelParams {
  /** Images get a sigmoid decoder output and cross-entropy; standardised tables a linear output and squared error. */
  inputKind: 'image' | 'table';
  features: number;
  hidden: number;
  latent: number;
  classCount: number;
}

export interface TrainParams {
  epochs: number;
  batchSize: number;
  learningRate: number;
}

interface JobBase {
  /** Human-readable and unique within a plan, e.g. "pretrain seed 2". */
  id: string;
  /** Content key of the job's output in the artifact store. */
  key: string;
  seed: number;
  /** Ids of jobs whose outputs this one reads. */
  deps: string[];
}

export interface PrepareJob extends JobBase {
  stage: 'prepare';
  testFraction: number;
}

export interface PretrainJob extends JobBase {
  stage: 'pretrain';
  splitKey: string;
  model: ModelParams;
  train: TrainParams;
  noise: number;
}

export interface ClassifierJob extends JobBase {
  stage: 'finetune' | 'baseline';
  splitKey: string;
  /** The pretrained encoder to start from (finetune only). */
  encoderKey?: string;
  budget: LabelBudget;
  model: ModelParams;
  train: TrainParams;
}

export type Job = PrepareJob | PretrainJob | ClassifierJob;

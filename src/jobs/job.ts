/**
 * A job is one unit of cached work: a stage applied to one seed (and, for
 * classifiers, one label budget). Jobs are plain JSON so they can be hashed
 * into keys, printed by --dry-run and sent to worker processes.
 */
import type { LabelBudget } from '../data/split.ts';
import type { ArmName } from '../eval/results.ts';
import type { EncoderFamily } from '../models/autoencoder.ts';
import type { NoiseType } from '../train/fit.ts';

export type StageName = 'prepare' | 'pretrain' | 'finetune' | 'baseline' | 'pca' | 'pseudo-label';
export const STAGES: StageName[] = ['prepare', 'pretrain', 'finetune', 'baseline', 'pca', 'pseudo-label'];

/** Stages whose jobs train and score one classifier arm. */
export type ClassifierStage = 'finetune' | 'baseline' | 'pca' | 'pseudo-label';
export const CLASSIFIER_STAGES: ClassifierStage[] = ['finetune', 'baseline', 'pca', 'pseudo-label'];

/** Architecture shared by the autoencoder and every classifier arm. */
export interface ModelParams {
  /** Images get a sigmoid decoder output and cross-entropy; standardised tables a linear output and squared error. */
  inputKind: 'image' | 'table';
  features: number;
  /** Shape of one sample; the conv family reshapes rows to it. */
  inputShape: number[];
  encoder: EncoderFamily;
  /** mlp only (0 for the other families, so their keys do not depend on it). */
  hidden: number;
  depth: number;
  latent: number;
  classCount: number;
}

/**
 * How a classifier's encoder trains: every layer from the start ('all'), never
 * ('frozen', a linear probe), or head first and then every layer with the
 * encoder at a lower learning rate ('two-phase').
 */
export type Strategy =
  | { kind: 'all' }
  | { kind: 'frozen' }
  | { kind: 'two-phase'; headEpochs: number; encoderLearningRateFactor: number };

/** Pseudo-labelling's own training budget and settings (see src/train/pseudo-labels.ts). */
export interface PseudoParams {
  /** Joint steps, each one labeled and one unlabeled mini-batch. */
  steps: number;
  unlabeledBatchSize: number;
  /** Least clean-view probability for an unlabeled row to count. */
  threshold: number;
  /** α_f, the final weight of the unlabeled loss. */
  weight: number;
  /** α rises from 0 at step round(rampStart·steps) to α_f at round(rampEnd·steps). */
  rampStart: number;
  rampEnd: number;
  /** Corrupted view: masking rate, and the largest random shift in pixels (images only). */
  noise: number;
  shift: number;
  /** Learning rate over the steps: constant, or FixMatch's cosine decay lr·cos(7πt / 16T). */
  decay: 'none' | 'cosine';
}

export interface TrainParams {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Classifiers on images: random shifts of up to this many pixels per axis (absent = none). */
  augmentShift?: number;
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
  noiseType: NoiseType;
  /** Latent spread after rescaling; 0 = a fresh encoder's (latent-scale.ts). */
  latentStd: number;
}

export interface ClassifierJob extends JobBase {
  stage: ClassifierStage;
  /** The arm its result row is filed under. */
  arm: ArmName;
  splitKey: string;
  /** The pretrained encoder to start from (finetune and pseudo-label). */
  encoderKey?: string;
  budget: LabelBudget;
  model: ModelParams;
  train: TrainParams;
  strategy: Strategy;
  /** pseudo-label only. */
  pseudo?: PseudoParams;
}

export type Job = PrepareJob | PretrainJob | ClassifierJob;

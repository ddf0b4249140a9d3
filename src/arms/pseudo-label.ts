/**
 * pseudo-label (beyond the seed): self-training (Lee 2013, with
 * FixMatch-style consistency) from the pretrained encoder. Each joint step
 * trains on a labeled mini-batch and on unlabeled pool images whose target is
 * the network's own confident prediction on the clean image, learned from a
 * corrupted view. It has its own step budget (--pseudo-steps).
 */
import type { PipelineConfig } from '../config.ts';
import type { DatasetFacts } from '../data/facts.ts';
import type { ArmDefinition } from './arm.ts';

/** Pseudo-labelling's own training budget and settings (see src/train/pseudo-labels.ts). */
export interface PseudoSettings {
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

/** The pseudo-label arm's settings from the config. A table has no pixels to shift, so its shift is 0 (and its key ignores --pseudo-shift). */
export function pseudoSettings(config: PipelineConfig, facts: DatasetFacts): PseudoSettings {
  return {
    steps: config.pseudoSteps, unlabeledBatchSize: config.pseudoBatchSize, threshold: config.pseudoThreshold, weight: config.pseudoWeight,
    rampStart: config.pseudoRamp[0], rampEnd: config.pseudoRamp[1], noise: config.pseudoNoise,
    shift: facts.inputKind === 'image' ? config.pseudoShift : 0, decay: config.pseudoDecay,
  };
}

export const pseudoLabel = {
  name: 'pseudo-label',
  stage: 'pseudo-label',
  usesEncoder: true,
  beyondSeed: true,
  colour: '#e45756',
  subject: 'pseudo-labelling',
  description: 'beyond the seed: self-training from the pretrained encoder, each step also learning the network\'s own confident predictions on unlabeled pool images from a corrupted view of them',
  budgetNote: 'pseudo-label instead trains for its own number of steps on labeled and unlabeled batches',
  // Each joint step runs a labeled batch and two views of an unlabeled one.
  trainingBatch: (config) => ({ option: '--pseudo-batch-size', size: config.pseudoBatchSize, rows: config.batchSize + 2 * config.pseudoBatchSize }),
  searchSpace: () => ({ pseudoThreshold: { uniform: [0.8, 0.99] }, pseudoWeight: { log: [0.3, 3] } }),
  settings: (config, facts): { pseudo: PseudoSettings } => ({ pseudo: pseudoSettings(config, facts) }),
} as const satisfies ArmDefinition;

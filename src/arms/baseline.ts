/**
 * baseline: the classifier from random initialisation — the very weights the
 * autoencoder starts from, so that pretraining is the only difference from
 * the pretrained arm. Every other arm is compared with it, seed by seed.
 */
import type { ArmDefinition } from './arm.ts';

export const baseline = {
  name: 'baseline',
  stage: 'baseline',
  usesEncoder: false,
  reference: true,
  colour: '#4c78a8',
  subject: 'the baseline',
  description: 'the classifier from random initialisation',
} as const satisfies ArmDefinition;

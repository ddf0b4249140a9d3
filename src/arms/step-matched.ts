/**
 * step-matched (a control): the baseline's network from the same random
 * initialisation, trained for the pseudo-label arm's number of steps on the
 * same labeled batches with the same augmentation (the one stream every arm
 * draws from), and without any unlabeled data. It runs whenever the
 * pseudo-label arm runs; pseudo-label's Δ against it is what the unlabeled
 * images bring (pretraining and pseudo-labels together), not what its larger
 * budget of steps brings.
 */
import type { ArmDefinition } from './arm.ts';
import { pseudoSettings, type PseudoSettings } from './pseudo-label.ts';

export const stepMatched = {
  name: 'step-matched',
  stage: 'pseudo-label',
  usesEncoder: false,
  controlFor: 'pseudo-label',
  colour: '#72b7b2',
  subject: 'the step-matched baseline',
  description: 'a control: the baseline trained for pseudo-label\'s number of steps on its labeled batches, without unlabeled data',
  budgetNote: 'step-matched trains for pseudo-label\'s steps on labeled batches only',
  // Only the step budget and the schedule matter without unlabeled data; the rest is fixed so the key ignores it.
  settings: (config, facts): { pseudo: PseudoSettings } => {
    const { steps, decay } = pseudoSettings(config, facts);
    return { pseudo: { steps, decay, unlabeledBatchSize: 0, threshold: 0, weight: 0, rampStart: 0, rampEnd: 0, noise: 0, shift: 0 } };
  },
} as const satisfies ArmDefinition;

/**
 * two-phase: the head alone on the frozen pretrained encoder for
 * --head-epoch-share of the epochs, then every layer with the encoder at
 * --encoder-lr-factor × the learning rate ("probe, then fine-tune"), so early
 * head updates cannot wreck the pretrained features. Same total epochs.
 */
import type { ArmDefinition } from './arm.ts';

export const twoPhase = {
  name: 'two-phase',
  stage: 'finetune',
  usesEncoder: true,
  colour: '#b279a2',
  subject: 'two-phase fine-tuning',
  description: 'the head trained first on the frozen pretrained encoder, then every layer with the encoder at a lower learning rate',
  searchSpace: () => ({ headEpochShare: { uniform: [0.1, 0.9] }, encoderLearningRateFactor: { log: [0.01, 1] } }),
  settings: (config) => ({
    strategy: {
      kind: 'two-phase',
      headEpochs: Math.round(config.finetuneEpochs * config.headEpochShare),
      encoderLearningRateFactor: config.encoderLearningRateFactor,
    },
  }),
} as const satisfies ArmDefinition;

/**
 * pretrained: the encoder pretrained on the unlabeled pool, a softmax head on
 * it, every layer fine-tuned on the labeled subset from the first epoch. The
 * question semisup exists to answer is whether this beats the baseline.
 */
import type { ArmDefinition } from './arm.ts';

export const pretrained = {
  name: 'pretrained',
  stage: 'finetune',
  usesEncoder: true,
  colour: '#f58518',
  subject: 'pretraining',
  description: 'the autoencoder-pretrained encoder, every layer fine-tuned',
  settings: () => ({ strategy: { kind: 'all' } }),
} as const satisfies ArmDefinition;

/**
 * frozen: a linear probe. The pretrained encoder stays fixed (bit for bit);
 * only the head trains. It shows what the unlabeled pretraining put into the
 * code by itself.
 */
import type { ArmDefinition } from './arm.ts';

export const frozen = {
  name: 'frozen',
  stage: 'finetune',
  usesEncoder: true,
  colour: '#54a24b',
  subject: 'the frozen pretrained encoder',
  description: 'the pretrained encoder frozen, only the head trained (a linear probe)',
  settings: () => ({ strategy: { kind: 'frozen' } }),
} as const satisfies ArmDefinition;

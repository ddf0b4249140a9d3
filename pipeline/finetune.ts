/**
 * Stage 3 — finetune. Take the encoder pretrained for this seed (its decoder
 * was discarded), put a softmax classifier head on it, and train on the
 * labeled subset of one budget under the arm's strategy:
 *  - pretrained: every layer from the first epoch;
 *  - frozen:     only the head (a linear probe; the encoder's weights never change);
 *  - two-phase:  the head alone for part of the budget, then every layer with
 *                the encoder at a lower learning rate.
 * Every strategy spends the same epoch budget on the same batches.
 */
import type { Strategy } from '../src/train/strategy.ts';
import { classifierStage } from './classifier-stage.ts';
import { runStageAlone } from './stage-alone.ts';

export const finetuneStage = classifierStage<{ strategy: Strategy }>({
  name: 'finetune',
  title: 'fine-tune the pretrained encoder with a softmax head on each labeled subset (pretrained, frozen, two-phase)',
  // 3: every classifier stores its model, score and curve apart (was: a report row).
  version: 3,
  train: async ({ classifier, encoder, job, fitOptions }) => {
    const { trainWithStrategy } = await import('../src/train/strategy.ts');
    return { curve: await trainWithStrategy(classifier, encoder, job.params.strategy, fitOptions) };
  },
});

runStageAlone(import.meta.url, finetuneStage);

/**
 * How a classifier's encoder trains while the head learns: every layer from
 * the start ('all'), never ('frozen', a linear probe), or head first and then
 * every layer with the encoder at a lower learning rate ('two-phase'). Every
 * strategy spends the same epochs on the same batch stream.
 */
import * as tf from '#tfjs';
import { HEAD_LAYER } from '../models/classifier.ts';
import type { EpochLog } from './curves.ts';
import { fit, type FitOptions } from './fit.ts';

export type Strategy =
  | { kind: 'all' }
  | { kind: 'frozen' }
  | { kind: 'two-phase'; headEpochs: number; encoderLearningRateFactor: number };

/** Train `classifier` (built on `encoder`) under a strategy; the epochs add up to `base.epochs` whatever the strategy. */
export async function trainWithStrategy(classifier: tf.LayersModel, encoder: tf.LayersModel, strategy: Strategy, base: FitOptions): Promise<EpochLog[]> {
  if (strategy.kind === 'all') return fit(base);
  const head = classifier.getLayer(HEAD_LAYER).trainableWeights;
  const headOnly = [{ weights: head, learningRate: base.learningRate }];
  if (strategy.kind === 'frozen') return fit({ ...base, groups: headOnly });
  // Two phases on one rng, so the batch order is the one the other arms see over the same epochs.
  const headEpochs = Math.min(base.epochs, strategy.headEpochs);
  const first = headEpochs > 0 ? await fit({ ...base, epochs: headEpochs, groups: headOnly }) : [];
  if (headEpochs === base.epochs) return first;
  const second = await fit({
    ...base,
    epochs: base.epochs - headEpochs,
    firstEpoch: headEpochs + 1,
    groups: [...headOnly, { weights: encoder.trainableWeights, learningRate: base.learningRate * strategy.encoderLearningRateFactor }],
  });
  return [...first, ...second];
}

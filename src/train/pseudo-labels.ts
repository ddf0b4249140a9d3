/**
 * Pseudo-labelling as Lee (2013, "Pseudo-Label") describes it, made stronger
 * the way FixMatch (Sohn et al. 2020) does: one network trains jointly on a
 * labeled and an unlabeled mini-batch each step. The unlabeled rows' targets
 * are the network's own current argmax on the clean input (no gradient
 * through them, refreshed every step); only those predicted with probability
 * ≥ a threshold count, and their loss is computed on a corrupted view (random
 * translation for images, masking noise), so the network learns to agree with
 * itself under corruption. The unlabeled loss is weighted by α(t): 0 until
 * step T1, linear to α_f at T2, α_f after (Lee's schedule).
 *
 * Only the rows in `unlabeled` are ever pseudo-labeled; the caller passes
 * pool rows without labels (unlabeledPool), so test rows never enter.
 */
import * as tf from '#tfjs';
import type { FeatureValues } from '../data/dataset.ts';
import type { Rng } from '../util/rng.ts';
import type { EpochLog } from './curves.ts';
import { applyMaskingNoise, epochOrder, gatherRows, oneHotRows, shiftImages } from './batches.ts';
import { NonFiniteLossError, TrainingLoop } from './loop.ts';

/** Pool indices that are not labeled: the only rows pseudo-labelling may label. */
export function unlabeledPool(pool: Int32Array, labeled: Int32Array): Int32Array {
  const taken = new Set(labeled);
  return pool.filter((i) => !taken.has(i));
}

/** Lee's weight of the unlabeled loss at `step`: 0 until `start`, linear to `final` at `end`, `final` after. */
export function rampWeight(step: number, start: number, end: number, final: number): number {
  if (step < start) return 0;
  if (step >= end) return final;
  return (final * (step - start)) / (end - start);
}

export interface SelfTrainingOptions {
  /** The classifier (softmax output), trained in place. */
  model: tf.LayersModel;
  x: FeatureValues;
  features: number;
  /** Labeled rows and their labels, indexed by row of x (only the labeled rows are read). */
  labeled: Int32Array;
  y: Int32Array;
  classCount: number;
  /** Rows without labels the network pseudo-labels (pool rows only). */
  unlabeled: Int32Array;
  steps: number;
  batchSize: number;
  unlabeledBatchSize: number;
  learningRate: number;
  /** Least probability of the clean view's argmax for a row to count. */
  threshold: number;
  /** α_f, and the steps where α starts to rise (T1) and reaches α_f (T2). */
  weight: number;
  rampStart: number;
  rampEnd: number;
  /** Corruption of the unlabeled rows the loss is computed on: masking rate, and the largest shift in pixels (images only). */
  noise: number;
  shift: number;
  /** Largest random shift of the labeled images (--augment-shift, the augmentation every arm's labeled batches get); 0 = none. */
  labeledShift?: number;
  /** Learning rate over the steps: constant, or FixMatch's cosine decay lr·cos(7πt / 16T). */
  decay?: 'none' | 'cosine';
  imageShape?: [number, number, number];
  /** Separate streams: labeled batch order, unlabeled batch order, corruption. */
  labeledRng: Rng;
  unlabeledRng: Rng;
  noiseRng: Rng;
  /** One log entry (an "epoch" of the curve) every this many steps. */
  logEvery: number;
  /** Measured at each log point and added to its entry (validation accuracy); it must not train. */
  evaluate?: (point: number) => Promise<Partial<EpochLog>>;
  onLog?: (log: EpochLog) => void;
}

/** Endless shuffled passes over `indices`, a batch at a time. */
function batchStream(indices: Int32Array, rng: Rng): (size: number) => Int32Array {
  let order = epochOrder(indices, rng);
  let at = 0;
  return (size: number) => {
    const out = new Int32Array(size);
    for (let k = 0; k < size; k++) {
      if (at === order.length) {
        order = epochOrder(indices, rng);
        at = 0;
      }
      out[k] = order[at++];
    }
    return out;
  };
}

/**
 * Train jointly for `steps` steps; returns one log per `logEvery` steps: the
 * total loss, the labeled batches' accuracy, and the share of unlabeled rows
 * above the threshold.
 */
export async function selfTrain(options: SelfTrainingOptions): Promise<(EpochLog & { confidentShare: number; weight: number })[]> {
  const { model, x, features, classCount, steps, threshold } = options;
  const labeledBatch = Math.min(options.batchSize, options.labeled.length);
  const unlabeledBatch = Math.min(options.unlabeledBatchSize, options.unlabeled.length);
  const nextLabeled = batchStream(options.labeled, options.labeledRng);
  const nextUnlabeled = batchStream(options.unlabeled, options.unlabeledRng);
  const loop = new TrainingLoop([{ weights: model.trainableWeights, learningRate: options.learningRate }]);
  const labeledBuffer = new Float32Array(labeledBatch * features);
  const targetBuffer = new Float32Array(labeledBatch * classCount);
  const cleanBuffer = new Float32Array(unlabeledBatch * features);
  const strongBuffer = new Float32Array(unlabeledBatch * features);
  const logs: (EpochLog & { confidentShare: number; weight: number })[] = [];
  let stepsInLog = 0;
  try {
    for (let step = 0; step < steps; step++) {
      await loop.pause();
      const lRows = nextLabeled(labeledBatch);
      const uRows = nextUnlabeled(unlabeledBatch);
      const xl = gatherRows(x, features, lRows, 0, labeledBatch, labeledBuffer);
      // Shifted from the labeled stream, as fit() shifts from the batch stream every arm shares.
      if (options.imageShape && options.labeledShift) shiftImages(xl, labeledBatch, options.imageShape, options.labeledShift, options.labeledRng);
      const yl = oneHotRows(options.y, classCount, lRows, 0, labeledBatch, targetBuffer);
      const clean = gatherRows(x, features, uRows, 0, unlabeledBatch, cleanBuffer);
      if (unlabeledBatch > 0) {
        strongBuffer.set(clean);
        if (options.imageShape) shiftImages(strongBuffer, unlabeledBatch, options.imageShape, options.shift, options.noiseRng);
        applyMaskingNoise(strongBuffer, options.noise, options.noiseRng);
      }
      const alpha = rampWeight(step, options.rampStart, options.rampEnd, options.weight);
      if (options.decay === 'cosine') loop.setLearningRate(options.learningRate * Math.cos((7 * Math.PI * step) / (16 * steps)));
      loop.step((minimise) => {
        const xlT = tf.tensor2d(xl, [labeledBatch, features]);
        const ylT = tf.tensor2d(yl, [labeledBatch, classCount]);
        if (unlabeledBatch === 0) {
          // No unlabeled data (the step-matched control): the labeled loss alone, step for step.
          const kept: { correct?: tf.Scalar } = {};
          const loss = minimise(() => {
            const pl = model.apply(xlT, { training: true }) as tf.Tensor2D;
            kept.correct = tf.keep(tf.equal(pl.argMax(-1), ylT.argMax(-1)).sum() as tf.Scalar);
            return tf.metrics.categoricalCrossentropy(ylT, pl).mean() as tf.Scalar;
          });
          return { loss, correct: kept.correct!, confident: tf.scalar(0) };
        }
        // Pseudo-labels: the current network's argmax on the clean view, as constants (no gradient).
        const cleanProbabilities = model.predict(tf.tensor2d(clean, [unlabeledBatch, features])) as tf.Tensor2D;
        const confident = cleanProbabilities.max(-1).greaterEqual(threshold).toFloat();
        const pseudo = tf.oneHot(cleanProbabilities.argMax(-1), classCount).toFloat().mul(confident.expandDims(1));
        const strong = tf.tensor2d(strongBuffer, [unlabeledBatch, features]);
        const kept: { correct?: tf.Scalar } = {};
        const loss = minimise(() => {
          const predictions = model.apply(tf.concat([xlT, strong], 0), { training: true }) as tf.Tensor2D;
          const pl = predictions.slice([0, 0], [labeledBatch, classCount]);
          const supervised = tf.metrics.categoricalCrossentropy(ylT, pl).mean() as tf.Scalar;
          kept.correct = tf.keep(tf.equal(pl.argMax(-1), ylT.argMax(-1)).sum() as tf.Scalar);
          if (alpha === 0) return supervised;
          const pu = predictions.slice([labeledBatch, 0], [unlabeledBatch, classCount]);
          // Rows below the threshold have an all-zero target, so they add nothing; divide by the whole batch (FixMatch).
          const unsupervised = tf.metrics.categoricalCrossentropy(pseudo, pu).sum().div(unlabeledBatch) as tf.Scalar;
          return supervised.add(unsupervised.mul(alpha)) as tf.Scalar;
        });
        return { loss, correct: kept.correct!, confident: confident.sum() as tf.Scalar };
      });
      stepsInLog++;
      if (stepsInLog === options.logEvery || step === steps - 1) {
        const sums = await loop.drain();
        const meanLoss = sums.loss / stepsInLog;
        if (!Number.isFinite(meanLoss)) {
          throw new NonFiniteLossError(`training loss became ${meanLoss} at step ${step + 1} of the pseudo-label arm: lower --learning-rate (now ${options.learningRate}) or --pseudo-weight (now ${options.weight}).`);
        }
        const point = logs.length + 1;
        const log = {
          epoch: point,
          loss: meanLoss,
          accuracy: sums.correct / (stepsInLog * labeledBatch),
          ...(await options.evaluate?.(point)),
          confidentShare: unlabeledBatch > 0 ? sums.confident / (stepsInLog * unlabeledBatch) : 0,
          weight: alpha,
        };
        logs.push(log);
        options.onLog?.(log);
        stepsInLog = 0;
      }
    }
  } finally {
    loop.dispose();
  }
  return logs;
}

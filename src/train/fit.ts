/**
 * Training by epochs, as the autoencoder and every classifier arm train:
 * seeded shuffling, mini-batches gathered from typed arrays, denoising or
 * class targets, a per-epoch log, and a stop on a non-finite loss instead of
 * training on garbage. The step itself is the shared core in loop.ts.
 */
import * as tf from '#tfjs';
import type { NoiseType } from '../config.ts';
import type { FeatureValues } from '../data/dataset.ts';
import type { Rng } from '../util/rng.ts';
import type { EpochLog } from './curves.ts';
import { NonFiniteLossError, TrainingLoop, type WeightGroup } from './loop.ts';
import { applyGaussianNoise, applyMaskingNoise, epochOrder, gatherRows, oneHotRows } from './batches.ts';
import { createFusedDenseStep } from './fused-dense-step.ts';
import { sigmoidCrossEntropyFromLogits, sigmoidOutputLayer } from './sigmoid-logits.ts';


/**
 * What the model learns to output: its own (clean) input, or class labels.
 * `y` is indexed by row of x; only the rows being trained on are read.
 */
export type Target =
  | { kind: 'reconstruct'; noise: number; noiseType?: NoiseType; loss: 'binary-crossentropy' | 'squared-error' }
  | { kind: 'classes'; y: Int32Array; classCount: number };

export interface FitOptions {
  model: tf.LayersModel;
  x: FeatureValues;
  features: number;
  /** Rows of x to train on. */
  indices: Int32Array;
  target: Target;
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** The CLI option that sets learningRate, named in the error when the loss diverges. */
  learningRateOption?: string;
  rng: Rng;
  /**
   * Learning rate per group of weights (one Adam each); weights in no group
   * stay fixed. Default: every trainable weight at `learningRate`.
   */
  groups?: WeightGroup[];
  /** Number the epochs from here (a schedule split over several fit calls logs one continuous curve). */
  firstEpoch?: number;
  /**
   * Compute a sigmoid output's binary cross-entropy from its logits (default true): the same loss,
   * fewer kernels per step (see sigmoid-logits.ts). False keeps tfjs's probability-space formula,
   * for equivalence tests and A/B timing.
   */
  lossFromLogits?: boolean;
  /** Use the fused dense step where it applies (default true; see fused-dense-step.ts); false keeps tfjs's taped step, for equivalence tests and A/B timing. */
  fusedStep?: boolean;
  /**
   * Classifier training only: change each gathered input batch in place before the step (e.g.
   * random shifts of images), drawing from the training rng.
   */
  augment?: (inputs: Float32Array, rows: number, rng: Rng) => void;
  /**
   * Measured after each epoch and added to its log (validation accuracy); it must not train.
   * `predict` gives the model's outputs as predictRows does (the same bits), through the fused
   * step where that trains the model.
   */
  evaluate?: (epoch: number, predict: RowPredictor) => Promise<Partial<EpochLog>>;
  /** Called after each epoch, e.g. for a progress bar. */
  onEpoch?: (log: EpochLog) => void;
}

/** The model's outputs for rows of x, N × width in one array, as predictRows gives them. */
export type RowPredictor = (x: FeatureValues, features: number, indices: Int32Array) => Promise<Float32Array>;

/** Train `model` in place; returns one log entry per epoch. */
export async function fit(options: FitOptions): Promise<EpochLog[]> {
  const { model, x, features, indices, target, epochs, batchSize, rng } = options;
  const loop = new TrainingLoop(options.groups ?? [{ weights: model.trainableWeights, learningRate: options.learningRate }]);
  const firstEpoch = options.firstEpoch ?? 1;
  const width = target.kind === 'classes' ? target.classCount : features;
  // Binary cross-entropy of a sigmoid output is computed from its logits: the same loss, ~15 % faster per step.
  const sigmoidLayer = target.kind === 'reconstruct' && target.loss === 'binary-crossentropy' && options.lossFromLogits !== false ? sigmoidOutputLayer(model) : null;
  const logs: EpochLog[] = [];
  // On wasm a chain of Dense layers trains in one fused step per batch, bit-identical to the taped step below.
  const fused = options.fusedStep === false ? null : createFusedDenseStep({
    model, x, features, indices, batchSize,
    loss: sigmoidLayer ? 'sigmoid-logits' : target.kind === 'classes' ? 'softmax' : 'other',
    groups: loop.trainedGroups(),
  });
  // Batch buffers in JS memory, each allocated when first used: the fused step gathers its inputs
  // into its own heap buffer and applies masking noise there, so it needs none but the class targets.
  let inputBuffer: Float32Array | undefined;
  let cleanBuffer: Float32Array | undefined;
  let targetBuffer: Float32Array | undefined;
  // The check after every epoch predicts a few dozen rows: in a default job about 0.9 ms per call
  // through tfjs's engine, 0.35 ms in the fused step, with the same bits.
  const predict: RowPredictor = fused ? async (...rows) => fused.predictRows(...rows) : (...rows) => predictRows(model, ...rows);
  try {
    for (let epoch = firstEpoch; epoch < firstEpoch + epochs; epoch++) {
      const order = epochOrder(indices, rng);
      for (let start = 0; start < order.length; start += batchSize) {
        await loop.pause();
        const end = Math.min(order.length, start + batchSize);
        const rows = end - start;
        const inputs = fused ? fused.gatherRows(x, features, order, start, end) : gatherRows(x, features, order, start, end, inputBuffer ??= new Float32Array(batchSize * features));
        let targets: Float32Array;
        if (target.kind === 'reconstruct') {
          // Denoising: the model sees corrupted pixels and must reproduce the clean ones. The fused
          // step applies masking noise itself, after taking the clean inputs as its targets.
          if (target.noiseType === 'gaussian' || !fused) {
            // The clean rows are the inputs before the noise: a copy, several times cheaper than gathering them again.
            targets = (cleanBuffer ??= new Float32Array(batchSize * features)).subarray(0, inputs.length);
            targets.set(inputs);
            if (target.noiseType === 'gaussian') applyGaussianNoise(inputs, target.noise, rng, target.loss === 'binary-crossentropy');
            else applyMaskingNoise(inputs, target.noise, rng);
          } else {
            targets = inputs;
            fused.maskingNoise(inputs, target.noise, rng);
          }
        } else {
          targets = oneHotRows(target.y, target.classCount, order, start, end, targetBuffer ??= new Float32Array(batchSize * width));
          options.augment?.(inputs, rows, rng);
        }
        if (fused) {
          fused.step(inputs, targets, rows);
          continue;
        }
        loop.step((minimise) => {
          const xb = tf.tensor2d(inputs, [rows, features]);
          const yb = tf.tensor2d(targets, [rows, width]);
          const kept: { correct?: tf.Scalar } = {};
          const loss = minimise(() => {
            if (sigmoidLayer) return sigmoidCrossEntropyFromLogits(model, sigmoidLayer, xb, yb);
            const predictions = model.apply(xb, { training: true }) as tf.Tensor;
            if (target.kind === 'reconstruct') {
              return target.loss === 'binary-crossentropy'
                ? tf.metrics.binaryCrossentropy(yb, predictions).mean() as tf.Scalar
                : tf.losses.meanSquaredError(yb, predictions) as tf.Scalar;
            }
            // Kept out of the gradient scope's cleanup so the epoch's training accuracy costs no second forward pass.
            kept.correct = tf.keep(tf.equal(predictions.argMax(-1), yb.argMax(-1)).sum() as tf.Scalar);
            return tf.metrics.categoricalCrossentropy(yb, predictions).mean() as tf.Scalar;
          });
          return { loss: loss.mul(rows) as tf.Scalar, ...(kept.correct ? { correct: kept.correct } : {}) };
        });
      }
      const sums = fused ? fused.takeEpochTotals() : await loop.drain();
      const loss = sums.loss / order.length;
      if (!Number.isFinite(loss)) {
        throw new NonFiniteLossError(`training loss became ${loss} in epoch ${epoch}: lower ${options.learningRateOption ?? '--learning-rate'} (now ${options.learningRate}).`);
      }
      const log: EpochLog = {
        ...(target.kind === 'classes' ? { epoch, loss, accuracy: sums.correct / order.length } : { epoch, loss }),
        ...(await options.evaluate?.(epoch, predict)),
      };
      logs.push(log);
      options.onEpoch?.(log);
    }
  } finally {
    fused?.dispose();
    loop.dispose();
  }
  return logs;
}

/**
 * Run the model over rows of x in chunks; returns the outputs as one N × width Float32Array. A
 * chunk is one forward pass (tfjs's predict would split it into batches of 32 again); each row's
 * output is the same whatever rows share its pass. The validation check after every epoch calls
 * this for a few dozen rows where fit() has no fused step, so the row buffer is no larger than the rows.
 */
export async function predictRows(model: tf.LayersModel, x: FeatureValues, features: number, indices: Int32Array, chunk = 1024): Promise<Float32Array> {
  const width = (model.outputs[0].shape[1] as number);
  const out = new Float32Array(indices.length * width);
  const buffer = new Float32Array(Math.min(chunk, indices.length) * features);
  for (let start = 0; start < indices.length; start += chunk) {
    const end = Math.min(indices.length, start + chunk);
    const rows = gatherRows(x, features, indices, start, end, buffer);
    const output = tf.tidy(() => model.predict(tf.tensor2d(rows, [end - start, features]), { batchSize: chunk }) as tf.Tensor);
    out.set(await output.data() as Float32Array, start * width);
    output.dispose();
  }
  return out;
}

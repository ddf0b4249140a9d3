/**
 * Arm beyond the seed — pseudo-label (self-training, Lee 2013, with
 * FixMatch-style consistency). The classifier starts exactly where the
 * pretrained arm starts (the pretrained encoder and the shared head
 * initialisation) and trains jointly: each step a labeled mini-batch (from
 * the batch stream every arm shares, running on across epochs) and an
 * unlabeled mini-batch of pool rows that have no label. The unlabeled rows'
 * targets are the network's own current argmax on the clean image, refreshed
 * every step; rows below --pseudo-threshold are left out, and the loss is
 * taken on a corrupted view (random shift, masking), weighted by α(t) ramped
 * up from 0 (Lee's T1, T2). See src/train/pseudo-labels.ts. Only unlabeled
 * pool rows are ever pseudo-labeled; the test set is only scored.
 *
 * The same stage trains the arm's step-matched control (src/arms/step-matched.ts):
 * the baseline's fresh encoder, the same steps and labeled batches, no
 * unlabeled batch at all.
 */
import type { PseudoSettings } from '../src/arms/pseudo-label.ts';
import { UNLABELED } from '../src/data/dataset.ts';
import { argmaxRows } from '../src/eval/metrics.ts';
import { createRng, deriveSeed } from '../src/util/rng.ts';
import { classifierStage } from './classifier-stage.ts';
import { runStageAlone } from './stage-alone.ts';

/** How many points the training curve of the arm has. */
const CURVE_POINTS = 50;

export const pseudoLabelStage = classifierStage<{ pseudo: PseudoSettings }>({
  name: 'pseudo-label',
  title: 'self-train from the pretrained encoder on labeled and unlabeled pool batches (pseudo-labels)',
  // 5: labeled batches are shifted from the batch stream every arm shares (was: from the corruption stream).
  version: 5,
  train: async ({ job, ctx, data, split, classifier, labeled, targets, fitOptions, evaluate }) => {
    const [{ predictRows }, { selfTrain, unlabeledPool }] = await Promise.all([import('../src/train/fit.ts'), import('../src/train/pseudo-labels.ts')]);
    const settings = job.params.pseudo;
    const { model, train } = job.params;
    const unlabeled = unlabeledPool(split.pool, labeled);
    const shape = model.inputShape;
    const imageShape = model.inputKind === 'image' && shape.length === 3 ? shape as [number, number, number] : undefined;
    const logEvery = Math.max(1, Math.ceil(settings.steps / CURVE_POINTS));
    const curvePoints = Math.ceil(settings.steps / logEvery);
    const logs = await selfTrain({
      model: classifier,
      x: data.x,
      features: model.features,
      labeled,
      y: targets,
      classCount: model.classCount,
      unlabeled,
      steps: settings.steps,
      batchSize: train.batchSize,
      unlabeledBatchSize: settings.unlabeledBatchSize,
      learningRate: train.learningRate,
      threshold: settings.threshold,
      weight: settings.weight,
      rampStart: Math.round(settings.rampStart * settings.steps),
      rampEnd: Math.round(settings.rampEnd * settings.steps),
      noise: settings.noise,
      shift: settings.shift,
      labeledShift: train.augmentShift ?? 0,
      decay: settings.decay,
      imageShape,
      labeledRng: fitOptions.rng,
      unlabeledRng: createRng(deriveSeed(job.seed, 'pseudo-label:unlabeled')),
      noiseRng: createRng(deriveSeed(job.seed, 'pseudo-label:noise')),
      logEvery,
      evaluate,
      onLog: (log) => ctx.onEpoch(log, curvePoints),
    });
    const curve = logs.map(({ epoch, loss, accuracy, valAccuracy }) => ({ epoch, loss, accuracy, ...(valAccuracy === undefined ? {} : { valAccuracy }) }));
    if (settings.unlabeledBatchSize === 0) return { curve };
    // For the record only (never used to train): the final network's pseudo-labels on the unlabeled pool.
    const probabilities = await predictRows(classifier, data.x, model.features, unlabeled);
    const predicted = argmaxRows(probabilities, model.classCount);
    // Accuracies count only rows whose label is known (truly unlabeled rows have none to compare with).
    let confident = 0;
    let known = 0;
    let knownConfident = 0;
    let right = 0;
    let confidentRight = 0;
    predicted.forEach((label, r) => {
      const isConfident = probabilities[r * model.classCount + label] >= settings.threshold;
      confident += isConfident ? 1 : 0;
      const truth = data.y[unlabeled[r]];
      if (truth === UNLABELED) return;
      known++;
      knownConfident += isConfident ? 1 : 0;
      right += truth === label ? 1 : 0;
      confidentRight += isConfident && truth === label ? 1 : 0;
    });
    const record = {
      unlabeled: unlabeled.length,
      confidentShare: confident / unlabeled.length,
      pseudoLabelAccuracy: known ? right / known : null,
      confidentPseudoLabelAccuracy: knownConfident ? confidentRight / knownConfident : null,
      curve: logs.map(({ epoch, confidentShare, weight }) => ({ point: epoch, confidentShare, weight })),
    };
    return { curve, files: { 'pseudo-labels.json': JSON.stringify(record) } };
  },
});

runStageAlone(import.meta.url, pseudoLabelStage);

/**
 * What every classifier stage shares, so the arms differ only where they
 * mean to. A job reads its seed's split and labeled subset, gets its encoder
 * from the stage (pretrained, fresh, or fitted), puts the softmax head on it
 * (initialised from the seed, the same for every arm), and hands the stage's
 * training function the shared pieces: the labeled rows and their labels, the
 * one batch-order stream every arm draws from, the budget and the shift
 * augmentation, and the validation check after every epoch. After training,
 * the weights of the epoch --select-epoch picks are put back, the one scoring
 * function scores the test set (never during training, never for tuning
 * trials), and the classifier is stored with its score and curve.
 */
import type * as tf from '#tfjs';
import { readStoredModel, serialiseModel } from '../src/artifacts/model-io.ts';
import type { EntryFiles } from '../src/artifacts/store.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { datasetForSplit } from '../src/data/prepared.ts';
import { labeledSubset, splitCounts, validationSubset, type Split } from '../src/data/split.ts';
import { UserError } from '../src/errors.ts';
import type { Job } from '../src/jobs/job.ts';
import type { PlanContext, StageContext, StageDefinition } from '../src/jobs/stage.ts';
import { modelParams, type ModelParams } from '../src/models/model-params.ts';
import { shiftImages } from '../src/train/batches.ts';
import type { EpochLog } from '../src/train/curves.ts';
import type { EpochRule } from '../src/train/epoch-selection.ts';
import type { FitOptions } from '../src/train/fit.ts';
import type { Score } from '../src/train/score.ts';
import { createRng, deriveSeed, type Rng } from '../src/util/rng.ts';
import { prepareStage, readSplit } from './prepare.ts';
import { pretrainStage } from './pretrain.ts';

/** The training budget every classifier arm shares. */
export interface ClassifierTrain {
  epochs: number;
  batchSize: number;
  learningRate: number;
  /** Image data: random shifts of up to this many pixels per axis of each labeled image (absent = none). */
  augmentShift?: number;
}

export interface ClassifierParams {
  model: ModelParams;
  train: ClassifierTrain;
  /** Validation examples per class (held out of every labeled subset), and which epoch's weights are kept. */
  validation: number;
  selectEpoch: EpochRule;
  /** false for tuning trials: they are scored on validation only and never look at the test set. */
  scoreTest?: false;
}

/** What a classifier stage's training function is handed. */
export interface ClassifierSetup<P> {
  job: Job<ClassifierParams & P>;
  ctx: StageContext;
  /** The data as this seed's jobs see it (tables standardised with pool statistics). */
  data: Dataset;
  split: Split;
  /** The classifier (the encoder plus the head) and the encoder under it, both trained in place. */
  classifier: tf.LayersModel;
  encoder: tf.LayersModel;
  /** The labeled rows and their labels (indexed by row; −1 on every other row). */
  labeled: Int32Array;
  targets: Int32Array;
  /** fit() options for the labeled rows: their labels, the budget, the augmentation, the batch stream every arm shares, and the validation check after each epoch. */
  fitOptions: FitOptions;
  /** The validation check a training loop of the stage's own calls at each log point (fit() already has it). */
  evaluate: (epoch: number) => Promise<Partial<EpochLog>>;
}

/** What a classifier job stores about its result, besides the model and its curve. */
export interface ClassifierScore {
  /** Labeled examples it trained on, and the fraction its result row reports (for per-class budgets: of the labeled examples in the pool). */
  labeled: number;
  fraction: number;
  /** Entries in its training curve (epochs, or blocks of steps). */
  epochs: number;
  trainSeconds: number;
  backend: string;
  /** The kept weights' epoch (--select-epoch) and their validation accuracy; null without validation examples. */
  selectedEpoch: number | null;
  valAccuracy: number | null;
  /** The test set's score of the kept weights; absent for tuning trials, which never look at the test set. */
  test?: Score;
}

export interface ClassifierStageSpec<P> {
  name: string;
  title: string;
  version: number;
  /**
   * The encoder the classifier is built on; the classifier takes ownership. Default: the encoder
   * pretrained for the seed when the arm uses one, else the random initialisation the autoencoder
   * started from (the baseline's).
   */
  encoder?(job: Job<ClassifierParams & P>, ctx: StageContext, data: Dataset, split: Split): Promise<tf.LayersModel>;
  /** Train the classifier in place; returns its curve and any extra files to store. */
  train(setup: ClassifierSetup<P>): Promise<{ curve: EpochLog[]; files?: EntryFiles }>;
}

/** The budget and architecture every classifier arm shares, from the config. */
export function classifierParams({ config, facts }: PlanContext): ClassifierParams {
  if (config.augmentShift > 0 && facts.inputKind !== 'image') {
    throw new UserError(`--augment-shift ${config.augmentShift} shifts images, but this dataset is a table: leave it at 0.`);
  }
  return {
    model: modelParams(config, facts),
    // Absent when off, so turning the option on changes no other run's cache keys.
    train: { epochs: config.finetuneEpochs, batchSize: config.batchSize, learningRate: config.learningRate, ...(config.augmentShift > 0 ? { augmentShift: config.augmentShift } : {}) },
    validation: config.validation,
    selectEpoch: config.selectEpoch,
  };
}

/**
 * Training targets indexed by row: the true label of each labeled row, −1
 * everywhere else. Training reads only this array, so no other row's label
 * (test or unlabeled pool) can reach it.
 */
export function trainingTargets(data: Dataset, labeled: Int32Array): Int32Array {
  const targets = new Int32Array(data.y.length).fill(-1);
  for (const i of labeled) targets[i] = data.y[i];
  return targets;
}

/** The encoder an arm starts from: the one pretrained for its seed when it reads one, else a fresh one from the seed. */
async function startingEncoder(job: Job<ClassifierParams>, ctx: StageContext): Promise<tf.LayersModel> {
  const pretrained = job.inputs[pretrainStage.name];
  if (pretrained) return readStoredModel(ctx.store, pretrainStage.name, pretrained);
  const { buildEncoder } = await import('../src/models/autoencoder.ts');
  return buildEncoder(job.params.model, job.seed);
}

/** A stage that trains one classifier arm per job, declared from what is particular to it. */
export function classifierStage<P>(spec: ClassifierStageSpec<P>): StageDefinition<ClassifierParams & P> {
  return {
    name: spec.name,
    title: spec.title,
    version: spec.version,
    grain: 'arm',
    inputs: [prepareStage],
    encoderInput: pretrainStage,
    usesBackend: true,
    // The arm's own settings (P) are added to these by the plan (src/arms/, ArmDefinition.settings).
    params: (plan) => classifierParams(plan) as ClassifierParams & P,
    run: async (job, ctx) => {
      if (!job.budget) throw new Error(`${job.id}: a classifier job needs a label budget`);
      // Training code (and tfjs with it) loads when a job runs: planning never loads it (see src/jobs/stage.ts).
      const [{ buildClassifier }, { epochSelection }, { scoreClassifier }] = await Promise.all([
        import('../src/models/classifier.ts'), import('../src/train/epoch-selection.ts'), import('../src/train/score.ts'),
      ]);
      const split = readSplit(ctx, job);
      const data = datasetForSplit(ctx.dataset, split);
      const { validation, selectEpoch, scoreTest = true } = job.params;
      const labeled = labeledSubset(split, job.budget, data.classNames, validation);
      const encoder = await (spec.encoder ?? startingEncoder)(job, ctx, data, split);
      const classifier = buildClassifier(encoder, job.params.model.classCount, job.seed);
      const selection = epochSelection(classifier, data, validationSubset(split, validation), selectEpoch);
      try {
        const { augmentShift = 0, ...train } = job.params.train;
        // The same stream for every arm: identical batch order (and shifts) for a paired comparison.
        const rng = createRng(deriveSeed(job.seed, `classifier:${job.budget.kind}:${job.budget.value}`));
        const targets = trainingTargets(data, labeled);
        const fitOptions: FitOptions = {
          model: classifier,
          x: data.x,
          features: job.params.model.features,
          indices: labeled,
          target: { kind: 'classes', y: targets, classCount: job.params.model.classCount },
          ...train,
          ...(augmentShift > 0 ? { augment: (inputs: Float32Array, rows: number, batchRng: Rng) => shiftImages(inputs, rows, data.inputShape, augmentShift, batchRng) } : {}),
          rng,
          evaluate: selection.evaluate,
          onEpoch: (log) => ctx.onEpoch(log, train.epochs),
        };
        const started = Date.now();
        const { curve, files } = await spec.train({ job, ctx, data, split, classifier, encoder, labeled, targets, fitOptions, evaluate: selection.evaluate });
        const trainSeconds = (Date.now() - started) / 1000;
        const selected = selection.select();
        const score: ClassifierScore = {
          labeled: labeled.length,
          fraction: job.budget.kind === 'fraction' ? job.budget.value : labeled.length / splitCounts(data, split).labeledSize,
          epochs: curve.length,
          trainSeconds,
          backend: ctx.backend,
          selectedEpoch: selected.epoch,
          valAccuracy: selected.valAccuracy,
          ...(scoreTest ? { test: await scoreClassifier(classifier, data, split.test) } : {}),
        };
        return { ...(await serialiseModel(classifier)), 'score.json': JSON.stringify(score), 'curve.json': JSON.stringify(curve), ...files };
      } finally {
        selection.dispose();
        // Disposes the encoder's layers too (the classifier holds them), also when training fails.
        classifier.dispose();
      }
    },
  };
}

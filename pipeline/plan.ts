/**
 * The plan: every job a configuration needs, each with the content key of its
 * output. A key hashes exactly what determines the output — the stage's slice
 * of the config, the dataset's fingerprint, the keys of its inputs, the
 * backend (name and versions), and the stage's code version — so an unchanged job is skipped and
 * changing only the labeled fractions (or adding an arm) reuses splits,
 * encoders and the arms already trained.
 */
import { hashOf } from '../src/artifacts/hash.ts';
import { UserError } from '../src/errors.ts';
import type { ArtifactStore } from '../src/artifacts/store.ts';
import { datasetFingerprint } from '../src/data/cache.ts';
import { featureCount, isImageDataset, type Dataset } from '../src/data/dataset.ts';
import type { PipelineConfig } from '../src/config.ts';
import { budgetsOf, type LabelBudget } from '../src/data/split.ts';
import type { ArmName } from '../src/eval/results.ts';
import { CLASSIFIER_STAGES, type ClassifierJob, type Job, type ModelParams, type PrepareJob, type PretrainJob, type PseudoParams, type StageName, type Strategy } from '../src/jobs/job.ts';
import { convImageShape } from '../src/models/autoencoder.ts';
import { BASELINE_VERSION } from './baseline.ts';
import { FINETUNE_VERSION } from './finetune.ts';
import { PCA_VERSION } from './pca.ts';
import { PREPARE_VERSION } from './prepare.ts';
import { PRETRAIN_VERSION } from './pretrain.ts';
import { PSEUDO_LABEL_VERSION } from './pseudo-label.ts';

export interface DatasetFacts {
  fingerprint: string;
  features: number;
  classCount: number;
  inputKind: 'image' | 'table';
  /** Shape of one sample ([28, 28, 1] for images); the conv encoder needs it. */
  inputShape?: number[];
  /** Datasets with an official test set ignore --test-fraction. */
  hasOfficialTest: boolean;
}

/** The facts of a loaded dataset that shape the plan. */
export function datasetFactsOf(dataset: Dataset): DatasetFacts {
  return {
    fingerprint: datasetFingerprint(dataset),
    features: featureCount(dataset),
    classCount: dataset.classNames.length,
    inputKind: isImageDataset(dataset) ? 'image' : 'table',
    inputShape: dataset.inputShape,
    hasOfficialTest: dataset.officialTrainCount !== undefined,
  };
}

/** The architecture of a config on a dataset, holding only what that encoder family uses (so keys ignore the rest). */
export function modelParams(config: PipelineConfig, dataset: DatasetFacts): ModelParams {
  const inputShape = dataset.inputShape ?? [dataset.features];
  const base = { inputKind: dataset.inputKind, features: dataset.features, inputShape, latent: config.latent, classCount: dataset.classCount };
  switch (config.encoder) {
    case 'mlp': return { ...base, encoder: 'mlp', hidden: config.hidden, depth: config.depth };
    case 'classic': return { ...base, encoder: 'classic', hidden: 0, depth: 0 };
    case 'conv':
      convImageShape(base); // a UserError before any work when the data are not images
      return { ...base, encoder: 'conv', hidden: 0, depth: 0 };
  }
}

/** Arms that start from the pretrained encoder, with how their encoder trains. */
const FINETUNE_ARMS: Partial<Record<ArmName, (config: PipelineConfig) => Strategy>> = {
  pretrained: () => ({ kind: 'all' }),
  frozen: () => ({ kind: 'frozen' }),
  'two-phase': (config) => ({ kind: 'two-phase', headEpochs: Math.round(config.finetuneEpochs * config.headEpochShare), encoderLearningRateFactor: config.encoderLearningRateFactor }),
};

function budgetLabel(budget: LabelBudget): string {
  return budget.kind === 'fraction' ? `fraction ${budget.value}` : `${budget.value} per class`;
}

/** The pseudo-label arm's settings; a table has no pixels to shift, so its shift is 0 (and its key ignores --pseudo-shift). */
export function pseudoParams(config: PipelineConfig, dataset: Pick<DatasetFacts, 'inputKind'>): PseudoParams {
  return {
    steps: config.pseudoSteps, unlabeledBatchSize: config.pseudoBatchSize, threshold: config.pseudoThreshold, weight: config.pseudoWeight,
    rampStart: config.pseudoRamp[0], rampEnd: config.pseudoRamp[1], noise: config.pseudoNoise, shift: dataset.inputKind === 'image' ? config.pseudoShift : 0,
    decay: config.pseudoDecay,
  };
}

/** Every job of a run, in an order where each job comes after the jobs it reads. */
/** `engine` (src/backend engineId) is hashed into every key: results depend on the backend and its version. */
export function buildPlan(config: PipelineConfig, dataset: DatasetFacts, engine: string): Job[] {
  const model = modelParams(config, dataset);
  if (config.augmentShift > 0 && dataset.inputKind !== 'image') {
    throw new UserError(`--augment-shift ${config.augmentShift} shifts images, but this dataset is a table: leave it at 0.`);
  }
  // Absent when off, so turning the option on changes no other run's cache keys.
  const classifierTrain = { epochs: config.finetuneEpochs, batchSize: config.batchSize, learningRate: config.learningRate, ...(config.augmentShift > 0 ? { augmentShift: config.augmentShift } : {}) };
  const arms = new Set<ArmName>(config.arms);
  const needsEncoder = arms.has('pretrained') || arms.has('frozen') || arms.has('two-phase') || arms.has('pseudo-label');
  if (config.arms.includes('pca') && config.latent > dataset.features) {
    throw new UserError(`--arms pca needs --latent ≤ the number of features (${dataset.features}); it is ${config.latent}: lower --latent or drop pca.`);
  }
  const jobs: Job[] = [];
  for (const seed of config.seeds) {
    const testFraction = dataset.hasOfficialTest ? 0 : config.testFraction;
    const prepare: PrepareJob = {
      stage: 'prepare', id: `prepare seed ${seed}`, seed, deps: [], testFraction,
      key: hashOf({ stage: 'prepare', version: PREPARE_VERSION, dataset: dataset.fingerprint, seed, testFraction }),
    };
    jobs.push(prepare);
    const pretrainTrain = { epochs: config.pretrainEpochs, batchSize: config.pretrainBatchSize, learningRate: config.pretrainLearningRate };
    const pretrain: PretrainJob = {
      stage: 'pretrain', id: `pretrain seed ${seed}`, seed, deps: [prepare.id], splitKey: prepare.key, model, train: pretrainTrain, noise: config.noise, noiseType: config.noiseType, latentStd: config.latentStd,
      // latentStd enters the key only when set, so the keys of earlier runs (fresh-encoder spread) still hold.
      key: hashOf({ stage: 'pretrain', version: PRETRAIN_VERSION, split: prepare.key, model, train: pretrainTrain, noise: config.noise, noiseType: config.noise === 0 ? 'none' : config.noiseType, ...(config.latentStd > 0 ? { latentStd: config.latentStd } : {}), engine }),
    };
    if (needsEncoder) jobs.push(pretrain);
    for (const budget of budgetsOf(config)) {
      const label = budgetLabel(budget);
      const common = { seed, splitKey: prepare.key, budget, model, train: classifierTrain };
      const keyed = (job: Omit<ClassifierJob, 'key'>, version: number, extra: Record<string, unknown> = {}): ClassifierJob => ({
        ...job,
        key: hashOf({ stage: job.stage, arm: job.arm, version, split: prepare.key, encoder: job.encoderKey ?? null, budget, model, train: classifierTrain, strategy: job.strategy, ...extra, engine }),
      });
      const finetunes = new Map<ArmName, ClassifierJob>();
      for (const [arm, strategy] of Object.entries(FINETUNE_ARMS) as [ArmName, (c: PipelineConfig) => Strategy][]) {
        if (!arms.has(arm)) continue;
        // The pretrained arm keeps its historic id; the other strategies are named after their arm.
        const id = arm === 'pretrained' ? `finetune seed ${seed} ${label}` : `${arm} seed ${seed} ${label}`;
        finetunes.set(arm, keyed({ stage: 'finetune', arm, id, deps: [prepare.id, pretrain.id], encoderKey: pretrain.key, strategy: strategy(config), ...common }, FINETUNE_VERSION));
      }
      jobs.push(...finetunes.values());
      jobs.push(keyed({ stage: 'baseline', arm: 'baseline', id: `baseline seed ${seed} ${label}`, deps: [prepare.id], strategy: { kind: 'all' }, ...common }, BASELINE_VERSION));
      if (arms.has('pca')) {
        jobs.push(keyed({ stage: 'pca', arm: 'pca', id: `pca seed ${seed} ${label}`, deps: [prepare.id], strategy: { kind: 'frozen' }, ...common }, PCA_VERSION));
      }
      if (arms.has('pseudo-label')) {
        const pseudo = pseudoParams(config, dataset);
        jobs.push(keyed({
          stage: 'pseudo-label', arm: 'pseudo-label', id: `pseudo-label seed ${seed} ${label}`, deps: [prepare.id, pretrain.id],
          encoderKey: pretrain.key, strategy: { kind: 'all' }, pseudo, ...common,
        }, PSEUDO_LABEL_VERSION, { pseudo }));
      }
    }
  }
  return jobs;
}

/** The jobs of `stage` and everything they read (a stage file run on its own). */
export function planUpTo(jobs: Job[], stage: StageName): Job[] {
  const byId = new Map(jobs.map((job) => [job.id, job]));
  const wanted = new Set<string>();
  const add = (job: Job): void => {
    if (wanted.has(job.id)) return;
    wanted.add(job.id);
    job.deps.forEach((dep) => add(byId.get(dep)!));
  };
  jobs.filter((job) => job.stage === stage).forEach(add);
  return jobs.filter((job) => wanted.has(job.id));
}

/** One line per job for --dry-run: its id, key, and whether it is cached, forced or to run. */
export function describePlan(jobs: Job[], store: ArtifactStore, force: Set<string>): string[] {
  return [`plan: ${jobs.length} jobs (data in ${store.root})`, ...jobs.map((job) => {
    const check = store.check(job.stage, job.key);
    const status = force.has(job.id) ? 'forced' : check.ok ? 'cached' : check.reason === 'missing' ? 'to run' : `to run (corrupt: ${check.reason})`;
    return `  ${job.id.padEnd(36)} ${job.key}  ${status}`;
  })];
}

/** The classifier jobs whose rows the report shows: the baseline and the arms the config asks for. */
export function reportedJobs(jobs: Job[], config: Pick<PipelineConfig, 'arms'>): ClassifierJob[] {
  const wanted = new Set<ArmName>(['baseline', ...config.arms]);
  return jobs.filter((job): job is ClassifierJob => (CLASSIFIER_STAGES as string[]).includes(job.stage) && wanted.has((job as ClassifierJob).arm));
}

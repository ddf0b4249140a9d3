/**
 * The plan: every job a configuration needs, each with the content key of its
 * output. A key hashes exactly what determines the output — the stage's slice
 * of the config, the dataset's fingerprint, the keys of its inputs, the
 * backend, and the stage's code version — so an unchanged job is skipped and
 * changing only the labeled fractions reuses splits and encoders.
 */
import { hashOf } from '../src/artifacts/hash.ts';
import type { ArtifactStore } from '../src/artifacts/store.ts';
import { datasetFingerprint } from '../src/data/cache.ts';
import { featureCount, isImageDataset, type Dataset } from '../src/data/dataset.ts';
import type { PipelineConfig } from '../src/config.ts';
import { budgetsOf } from '../src/data/split.ts';
import type { ClassifierJob, Job, ModelParams, PrepareJob, PretrainJob, StageName } from '../src/jobs/job.ts';
import { BASELINE_VERSION } from './baseline.ts';
import { FINETUNE_VERSION } from './finetune.ts';
import { PREPARE_VERSION } from './prepare.ts';
import { PRETRAIN_VERSION } from './pretrain.ts';

export interface DatasetFacts {
  fingerprint: string;
  features: number;
  classCount: number;
  inputKind: 'image' | 'table';
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
    hasOfficialTest: dataset.officialTrainCount !== undefined,
  };
}

/** Every job of a run, in an order where each job comes after the jobs it reads. */
export function buildPlan(config: PipelineConfig, dataset: DatasetFacts, backend: string): Job[] {
  const model: ModelParams = { inputKind: dataset.inputKind, features: dataset.features, hidden: config.hidden, latent: config.latent, classCount: dataset.classCount };
  const classifierTrain = { epochs: config.finetuneEpochs, batchSize: config.batchSize, learningRate: config.learningRate };
  const jobs: Job[] = [];
  for (const seed of config.seeds) {
    const testFraction = dataset.hasOfficialTest ? 0 : config.testFraction;
    const prepare: PrepareJob = {
      stage: 'prepare', id: `prepare seed ${seed}`, seed, deps: [], testFraction,
      key: hashOf({ stage: 'prepare', version: PREPARE_VERSION, dataset: dataset.fingerprint, seed, testFraction }),
    };
    const pretrainTrain = { epochs: config.pretrainEpochs, batchSize: config.pretrainBatchSize, learningRate: config.learningRate };
    const pretrain: PretrainJob = {
      stage: 'pretrain', id: `pretrain seed ${seed}`, seed, deps: [prepare.id], splitKey: prepare.key, model, train: pretrainTrain, noise: config.noise,
      key: hashOf({ stage: 'pretrain', version: PRETRAIN_VERSION, split: prepare.key, model, train: pretrainTrain, noise: config.noise, backend }),
    };
    jobs.push(prepare, pretrain);
    for (const budget of budgetsOf(config)) {
      const label = budget.kind === 'fraction' ? `fraction ${budget.value}` : `${budget.value} per class`;
      const finetune: ClassifierJob = {
        stage: 'finetune', id: `finetune seed ${seed} ${label}`, seed, deps: [prepare.id, pretrain.id], splitKey: prepare.key,
        encoderKey: pretrain.key, budget, model, train: classifierTrain,
        key: hashOf({ stage: 'finetune', version: FINETUNE_VERSION, split: prepare.key, encoder: pretrain.key, budget, model, train: classifierTrain, backend }),
      };
      const baseline: ClassifierJob = {
        stage: 'baseline', id: `baseline seed ${seed} ${label}`, seed, deps: [prepare.id], splitKey: prepare.key, budget, model, train: classifierTrain,
        key: hashOf({ stage: 'baseline', version: BASELINE_VERSION, split: prepare.key, budget, model, train: classifierTrain, backend }),
      };
      jobs.push(finetune, baseline);
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

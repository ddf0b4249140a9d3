/**
 * What every command that trains does first: name the tfjs backend that will
 * run, load the dataset, check the label budgets against it before anything
 * is written, and plan the jobs of the stages it runs with their content keys.
 * The backend itself starts only when a job has to run here: a fully cached
 * rerun never loads tfjs.
 */
import path from 'node:path';
import { ArtifactStore } from '../src/artifacts/store.ts';
import { REFERENCE_ARM } from '../src/arms/index.ts';
import { backendChoiceOf, engineId, expectedBackend, matrixProductsOf, startBackend, type StartedBackend } from '../src/backend/start-backend.ts';
import type { PipelineConfig } from '../src/config.ts';
import { describeShape, labelCounts, type Dataset } from '../src/data/dataset.ts';
import { createDownloadProgress } from '../src/data/download-progress.ts';
import { datasetFactsOf, type DatasetFacts } from '../src/data/facts.ts';
import { loadDatasetSource, sourceFromConfig } from '../src/data/sources.ts';
import { budgetsOf, validateSplitPlan } from '../src/data/split.ts';
import { UserError } from '../src/errors.ts';
import { budgetLabel, type Job } from '../src/jobs/job.ts';
import type { RunControl } from '../src/cli.ts';
import { armsOf, buildPlan } from '../src/jobs/plan.ts';
import { checkModelFits, type TrainingBatch } from '../src/models/model-size.ts';
import { modelParams } from '../src/models/model-params.ts';
import type { StageDefinition } from '../src/jobs/stage.ts';
import { createLogger, type Logger } from '../src/util/log.ts';

export interface StartedRun {
  config: PipelineConfig;
  log: Logger;
  /** The tfjs backend's name (started, or the one that will start), and the engine id hashed into keys. */
  backend: string;
  engine: string;
  /** Start the backend in this process (once; a job is about to run here). */
  startBackend(): Promise<void>;
  dataset: Dataset;
  facts: DatasetFacts;
  store: ArtifactStore;
}

/**
 * Name the backend (starting it only where its name cannot be known otherwise), load and check the
 * dataset and the model's size, and (unless only looking, --dry-run) clear what killed runs left half-written.
 */
export async function startRun(config: PipelineConfig, control: Pick<RunControl, 'dryRun'>): Promise<StartedRun> {
  const log = createLogger(config.quiet);
  const expected = expectedBackend(config.backend);
  // Where the backend's name cannot be known without loading tfjs (the native package is installed), start it now.
  const early = expected === undefined ? await startBackend(config.backend) : undefined;
  const backend = early?.name ?? expected!;
  const products = matrixProductsOf(backend);
  log.info(`backend: ${backend}${products ? ` (matrix products: ${products})` : ''}${early?.skipped.length ? ` (passed over: ${early.skipped.join('; ')})` : ''}`);
  let starting: Promise<StartedBackend> | undefined = early && Promise.resolve(early);
  const startHere = async () => {
    starting ??= startBackend(config.backend);
    const { name, skipped } = await starting;
    // The jobs were planned (and keyed) for the expected backend; another would compute other numbers under their keys.
    if (name !== backend) throw new UserError(`the ${backend} backend did not start (${skipped.join('; ')}): give --backend ${backendChoiceOf(name)} to run on ${name}.`);
  };

  log.header('prepare');
  const loadStarted = Date.now();
  const { dataset } = await loadDatasetSource(sourceFromConfig(config), {
    dataRoot: config.cacheDir,
    onProgress: config.quiet ? undefined : createDownloadProgress(),
    onNote: (note) => log.info(note),
  });
  for (const warning of dataset.warnings ?? []) log.warn(warning);
  for (const warning of unusedArmSettings(config)) log.warn(warning);
  validateSplitPlan(dataset, config.testFraction, budgetsOf(config), config.validation);
  const facts = datasetFactsOf(dataset);
  checkModelFits(modelParams(config, facts), trainingBatches(config, facts), backend);
  const { unlabeled } = labelCounts(dataset);
  log.info(`dataset: ${dataset.name}, ${dataset.y.length} samples${unlabeled > 0 ? ` (${unlabeled} unlabeled)` : ''}, ${describeShape(dataset)}, ${facts.classCount} classes (${((Date.now() - loadStarted) / 1000).toFixed(1)} s)`);
  const store = new ArtifactStore(path.resolve(config.cacheDir));
  if (!control.dryRun) {
    const cleared = store.removeStaleTemporaries();
    if (cleared.length > 0) log.info(`removed ${cleared.length} unfinished temporary ${cleared.length === 1 ? 'write' : 'writes'} left by a killed run`);
  }
  return { config, log, backend, engine: engineId(backend), startBackend: startHere, dataset, facts, store };
}

/** Per-arm settings that this run never uses (a budget it does not have, an arm it does not train): said, so that a listed setting is not taken for an applied one. */
function unusedArmSettings(config: PipelineConfig): string[] {
  const budgets = budgetsOf(config).map(budgetLabel);
  const arms = [REFERENCE_ARM.name, ...config.arms];
  return config.armSettings.flatMap((entry) => {
    if (!arms.includes(entry.arm)) return [`--arm-settings for ${entry.arm} are not used: it is not among this run's arms (${arms.join(', ')})`];
    if (entry.budget !== undefined && !budgets.includes(entry.budget)) return [`--arm-settings for ${entry.arm} at ${entry.budget} are not used: this run's label budgets are ${budgets.join(', ')}`];
    return [];
  });
}

/** The mini-batches a configuration trains with: the classifiers', pretraining's when an arm uses the encoder, and any arm's own. */
function trainingBatches(config: PipelineConfig, facts: DatasetFacts): TrainingBatch[] {
  const arms = armsOf({ config, facts });
  return [
    { option: '--batch-size', size: config.batchSize },
    ...config.armSettings.filter((entry) => typeof entry.settings.batchSize === 'number').map((entry) => ({ option: `--arm-settings (${entry.arm}'s batchSize)`, size: entry.settings.batchSize as number })),
    ...(arms.some((arm) => arm.usesEncoder) ? [{ option: '--pretrain-batch-size', size: config.pretrainBatchSize }] : []),
    ...arms.flatMap((arm) => arm.trainingBatch?.(config) ?? []),
  ];
}

/** The jobs of these stages (or only of `only` and what it reads) for this run. */
export function planJobs(run: StartedRun, stages: readonly StageDefinition[], only?: StageDefinition): Job[] {
  return buildPlan({ stages, config: run.config, facts: run.facts, engine: run.engine, ...(only ? { only } : {}) });
}

/**
 * What every command that trains does first: start the best tfjs backend,
 * load the dataset, check the label budgets against it before anything is
 * written, and plan the jobs of the stages it runs with their content keys.
 */
import path from 'node:path';
import { ArtifactStore } from '../src/artifacts/store.ts';
import { engineId, startBackend } from '../src/backend/start-backend.ts';
import type { PipelineConfig } from '../src/config.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { createDownloadProgress } from '../src/data/download-progress.ts';
import { datasetFactsOf, type DatasetFacts } from '../src/data/facts.ts';
import { loadDatasetSource, sourceFromConfig } from '../src/data/sources.ts';
import { budgetsOf, validateSplitPlan } from '../src/data/split.ts';
import type { Job } from '../src/jobs/job.ts';
import { buildPlan } from '../src/jobs/plan.ts';
import type { StageDefinition } from '../src/jobs/stage.ts';
import { createLogger, type Logger } from '../src/util/log.ts';

export interface StartedRun {
  config: PipelineConfig;
  log: Logger;
  /** The started tfjs backend's name, and the engine id hashed into keys. */
  backend: string;
  engine: string;
  dataset: Dataset;
  facts: DatasetFacts;
  store: ArtifactStore;
}

/** Start the backend and load and check the dataset; says which backend runs. */
export async function startRun(config: PipelineConfig): Promise<StartedRun> {
  const log = createLogger(config.quiet);
  const backend = await startBackend(config.backend);
  log.info(`backend: ${backend.name}${backend.skipped.length ? ` (passed over: ${backend.skipped.join('; ')})` : ''}`);

  log.header('prepare');
  const loadStarted = Date.now();
  const { dataset } = await loadDatasetSource(sourceFromConfig(config), {
    dataRoot: config.cacheDir,
    onProgress: config.quiet ? undefined : createDownloadProgress(),
    onNote: (note) => log.info(note),
  });
  validateSplitPlan(dataset, config.testFraction, budgetsOf(config));
  const facts = datasetFactsOf(dataset);
  log.info(`dataset: ${dataset.name}, ${dataset.y.length} samples, ${facts.features} features, ${facts.classCount} classes (${((Date.now() - loadStarted) / 1000).toFixed(1)} s)`);
  return { config, log, backend: backend.name, engine: engineId(backend.name), dataset, facts, store: new ArtifactStore(path.resolve(config.cacheDir)) };
}

/** The jobs of these stages (or only of `only` and what it reads) for this run. */
export function planJobs(run: StartedRun, stages: readonly StageDefinition[], only?: StageDefinition): Job[] {
  return buildPlan({ stages, config: run.config, facts: run.facts, engine: run.engine, ...(only ? { only } : {}) });
}

/**
 * PROVISIONAL: the executor seam of issue 11 as described while it is being
 * built on main (the Executor interface, runOneJob, datasets published by
 * fingerprint). The cluster executors are written against these names; this
 * file is deleted when the real seam is merged and the imports point at it.
 */
import fs from 'node:fs';
import path from 'node:path';
import { ArtifactStore } from '../artifacts/store.ts';
import { engineId, startBackend, type StartedBackend } from '../backend/start-backend.ts';
import type { BackendChoice } from '../config.ts';
import { datasetFingerprint, readDatasetCache, writeDatasetCache } from '../data/cache.ts';
import type { Dataset } from '../data/dataset.ts';
import { UserError } from '../errors.ts';
import type { Job } from '../jobs/job.ts';
import type { EpochLog } from '../report/run-record.ts';
import { executeJobCounted } from '../../pipeline/stages.ts';

export interface ExecutorEvents {
  epoch(jobId: string, log: EpochLog, totalEpochs: number): void;
  note(jobId: string, text: string): void;
  leaked(jobId: string, tensors: number): void;
}

export interface RunRequest {
  job: Job;
  replace: boolean;
  after: string[];
}

export interface Executor {
  readonly description: string;
  readonly capacity: number;
  readonly ordersDependencies: boolean;
  run(request: RunRequest): Promise<void>;
  cancel(): Promise<string | undefined>;
  close(): Promise<void>;
}

/** What a worker anywhere needs to run one job: plain JSON, no machine-local paths. */
export interface JobRequest {
  job: Job;
  replace: boolean;
  engine: string;
  dataset: { fingerprint: string; name: string };
}

export interface RunOneJobOptions {
  cacheDir: string;
  backend: BackendChoice;
  onEpoch: (log: EpochLog, totalEpochs: number) => void;
}

export function publishedDatasetPath(cacheDir: string, fingerprint: string): string {
  return path.join(cacheDir, 'datasets', 'by-fingerprint', `${fingerprint}.bin`);
}

export async function publishDataset(cacheDir: string, dataset: Dataset): Promise<string> {
  const fingerprint = datasetFingerprint(dataset);
  const file = publishedDatasetPath(cacheDir, fingerprint);
  if (!fs.existsSync(file)) {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    await writeDatasetCache(file, dataset);
  }
  return fingerprint;
}

let backend: StartedBackend | undefined;
const datasets = new Map<string, Dataset>();

export async function runOneJob(request: JobRequest, options: RunOneJobOptions): Promise<{ leaked: number }> {
  backend ??= await startBackend(options.backend);
  const mine = engineId(backend.name);
  if (mine !== request.engine) throw new UserError(`${request.job.id}: this worker computes with ${mine} but the run asked for ${request.engine}; start the worker with the run's backend`);
  let dataset = datasets.get(request.dataset.fingerprint);
  if (!dataset) {
    const file = publishedDatasetPath(options.cacheDir, request.dataset.fingerprint);
    dataset = await readDatasetCache(file);
    if (!dataset) throw new UserError(`dataset ${request.dataset.name} (${request.dataset.fingerprint}) is not in ${file}: the worker's --cache-dir must be the run's shared cache folder`);
    datasets.set(request.dataset.fingerprint, dataset);
  }
  const store = new ArtifactStore(path.resolve(options.cacheDir));
  const { files, leaked } = await executeJobCounted(request.job, { store, dataset, backend: backend.name, onEpoch: options.onEpoch });
  store.write(request.job.stage, request.job.key, files, { replace: request.replace });
  return { leaked };
}

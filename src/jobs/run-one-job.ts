/**
 * Run one job in this process and commit its output to the store: what the
 * in-process executor does, and what every worker process does for each job
 * it is handed, on this machine or another. The tensor count is checked
 * around the job (every stage must leave none behind).
 */
import type { ArtifactStore } from '../artifacts/store.ts';
import type { Dataset } from '../data/dataset.ts';
import type { EpochLog } from '../train/curves.ts';
import type { Job } from './job.ts';
import type { StageDefinition } from './stage.ts';

export interface JobEnvironment {
  stages: readonly StageDefinition[];
  store: ArtifactStore;
  dataset: Dataset;
  /** The started tfjs backend's name. */
  backend: string;
  onEpoch: (log: EpochLog, totalEpochs: number) => void;
}

/** Run the job and store its output (replacing a valid entry when forced); returns how many tensors it left behind. */
export async function runOneJob(job: Job, replace: boolean, env: JobEnvironment): Promise<{ leaked: number }> {
  const stage = env.stages.find((s) => s.name === job.stage);
  if (!stage) throw new Error(`${job.id}: no stage "${job.stage}" here (${env.stages.map((s) => s.name).join(', ')})`);
  // Loaded here, with the job: planning and skipping cached jobs never load tfjs.
  const tf = await import('#tfjs');
  const before = tf.memory().numTensors;
  const files = await stage.run(job, { store: env.store, dataset: env.dataset, backend: env.backend, onEpoch: env.onEpoch });
  const leaked = tf.memory().numTensors - before;
  env.store.write(job.stage, job.key, files, { replace });
  return { leaked };
}

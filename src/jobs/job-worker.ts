/**
 * The working end of every executor that runs jobs outside the coordinator's
 * process: start a backend once, then for each job request check that this
 * process runs the engine the job was planned for, load the dataset it names
 * from this worker's own cache folder (by content fingerprint, kept between
 * jobs), run the job and commit its output.
 */
import { ArtifactStore } from '../artifacts/store.ts';
import { engineId, startBackend } from '../backend/start-backend.ts';
import type { BackendChoice } from '../config.ts';
import { loadPublishedDataset } from '../data/cache.ts';
import type { Dataset } from '../data/dataset.ts';
import { UserError } from '../errors.ts';
import type { EpochLog } from '../train/curves.ts';
import { asFileSystemUserError } from '../util/folders.ts';
import { runOneJob } from './run-one-job.ts';
import type { StageDefinition } from './stage.ts';
import type { JobRequest } from './worker-protocol.ts';

export interface JobWorker {
  /** The started tfjs backend and this process's engine id. */
  backend: string;
  engine: string;
  /** Run one job request; returns how many tensors it left behind. */
  run(request: JobRequest, onEpoch: (log: EpochLog, totalEpochs: number) => void): Promise<{ leaked: number }>;
}

export async function startJobWorker(options: { stages: readonly StageDefinition[]; cacheDir: string; backend: BackendChoice }): Promise<JobWorker> {
  const backend = (await startBackend(options.backend)).name;
  const engine = engineId(backend);
  const store = new ArtifactStore(options.cacheDir);
  let loaded: { fingerprint: string; dataset: Dataset } | undefined;
  return {
    backend,
    engine,
    async run(request, onEpoch) {
      if (request.engine !== engine) {
        // Numbers from two engines differ, so they must never be filed under one key.
        throw new UserError(`${request.job.id} was planned for engine ${request.engine} but this worker runs ${engine}: give workers the coordinator's --backend and package versions.`);
      }
      try {
        if (loaded?.fingerprint !== request.dataset.fingerprint) {
          loaded = { fingerprint: request.dataset.fingerprint, dataset: await loadPublishedDataset(options.cacheDir, request.dataset.fingerprint) };
        }
        return await runOneJob(request.job, request.replace, { stages: options.stages, store, dataset: loaded.dataset, backend, onEpoch });
      } catch (error) {
        // A full disk or a read-only folder is the user's to fix, in a worker as in the main process.
        throw asFileSystemUserError(error);
      }
    },
  };
}

/**
 * What travels between a coordinator and the processes that run its jobs.
 * No machine-local paths: a worker finds the cache folder from its own
 * options, the dataset there by its content fingerprint, and checks that it
 * runs the engine the job was planned for.
 */
import type { EpochLog } from '../train/curves.ts';
import type { Job } from './job.ts';

/** One job to run, as a worker receives it. */
export interface JobRequest {
  job: Job;
  /** Forced (--force): replace a valid cached entry. */
  replace: boolean;
  /** The engine the plan keyed the job for (src/backend engineId). */
  engine: string;
  /** The dataset it reads, published in the cache folder under its fingerprint (src/data/cache.ts). */
  dataset: { fingerprint: string; name: string };
}

/** Messages to a local worker process (pipeline/worker.ts). */
export type ToWorker = { type: 'job'; request: JobRequest };

/** Messages from a worker process. `userError`: bad input, shown as one line (exit 2) by the coordinator. */
export type FromWorker =
  | { type: 'ready'; backend: string; engine: string }
  | { type: 'epoch'; jobId: string; log: EpochLog; total: number }
  | { type: 'leaked'; jobId: string; tensors: number }
  | { type: 'done'; jobId: string }
  | { type: 'failed'; jobId?: string; message: string; stack?: string; userError: boolean };

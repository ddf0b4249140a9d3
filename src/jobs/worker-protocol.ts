/**
 * Messages between the main process and its job workers. A worker loads the
 * dataset and starts its backend once, then runs jobs one at a time, writing
 * each job's output to the shared artifact store itself.
 */
import type { BackendChoice } from '../config.ts';
import type { DatasetSource } from '../data/sources.ts';
import type { EpochLog } from '../report/run-record.ts';
import type { Job } from './job.ts';

export interface WorkerInit {
  type: 'init';
  source: DatasetSource;
  dataRoot: string;
  storeRoot: string;
  backend: BackendChoice;
  /** The main process's dataset fingerprint: a worker that loads different data refuses to run. */
  fingerprint: string;
}

/** `replace`: the job was forced, so its output replaces a valid cached entry. */
export type ToWorker = WorkerInit | { type: 'job'; job: Job; replace: boolean };

export type FromWorker =
  | { type: 'ready'; backend: string }
  | { type: 'epoch'; jobId: string; log: EpochLog; total: number }
  | { type: 'leaked'; jobId: string; tensors: number }
  | { type: 'done'; jobId: string }
  | { type: 'failed'; jobId?: string; message: string; stack?: string; userError: boolean };

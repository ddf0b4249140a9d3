/**
 * The seam between deciding what runs (the runner: dependency order, cache
 * checks) and where it runs. An executor takes one job at a time and resolves
 * once the job's output is committed in the shared artifact store. Behind it:
 * this process (--jobs 1), local worker processes (--jobs N), and executors
 * that hand jobs to other machines. Nothing above this interface knows which
 * one is in use.
 */
import type { EpochLog } from '../train/curves.ts';
import type { Job } from './job.ts';

/** What an executor reports while its jobs run. */
export interface ExecutorEvents {
  /** A training epoch of a running job finished (drives the per-job progress display). */
  epoch(jobId: string, log: EpochLog, totalEpochs: number): void;
  /** A one-line state worth showing: queued, picked up by a worker, retried after a lost worker. */
  note(jobId: string, text: string): void;
  /** The job left tfjs tensors behind (every stage must leave none). */
  leaked(jobId: string, tensors: number): void;
}

export interface RunRequest {
  job: Job;
  /** The job was forced (--force): its output replaces a valid cached entry. */
  replace: boolean;
  /**
   * Ids of this job's inputs that were handed to this executor in this run and may still be
   * running; non-empty only for executors that order dependencies themselves.
   */
  after: string[];
}

export interface Executor {
  /** For the run's header: "in this process", "2 worker processes", … */
  readonly description: string;
  /** Most jobs in flight at once. */
  readonly capacity: number;
  /**
   * True when the engine itself holds a job until its inputs have succeeded (a batch scheduler's
   * job dependencies): the runner then hands a job over as soon as its inputs have been handed over.
   */
  readonly ordersDependencies: boolean;
  /** Run one job; resolves once its output is in the store, rejects with its failure (a UserError stays one). */
  run(request: RunRequest): Promise<void>;
  /** Ctrl-C: withdraw what is queued and stop what runs; returns a line saying what was withdrawn, if anything. */
  cancel(): Promise<string | undefined>;
  /** Release workers and connections, after the run or a failure. */
  close(): Promise<void>;
}

/**
 * One child process of a BullMQ worker (npm run worker): BullMQ's sandbox
 * hands it queue jobs one at a time; it runs each with the worker's own
 * cache folder and backend, and reports epochs as job progress. It starts
 * its backend and loads a dataset once, for all the jobs it is given.
 */
import { UnrecoverableError, type SandboxedJob } from 'bullmq';
import type { BackendChoice } from '../src/config.ts';
import type { JobProgress, JobResult, QueuedJob } from '../src/executors/bullmq-queue.ts';
import { CHILD_SETTINGS_VARIABLE, type ChildSettings } from '../src/executors/bullmq-worker.ts';
import { stackOf } from '../src/executors/remote-failure.ts';
import { startJobWorker, type JobWorker } from '../src/jobs/job-worker.ts';
import { PIPELINE_STAGES } from './registry.ts';

const settings = JSON.parse(process.env[CHILD_SETTINGS_VARIABLE] ?? '{}') as ChildSettings;
/** Started with the first job and kept: the backend, and the last dataset loaded. */
let worker: Promise<JobWorker> | undefined;
/** Progress goes through Redis: a few updates a second are plenty for a progress bar. */
const PROGRESS_EVERY_MS = 250;

// Dies with its worker, even one killed with SIGKILL: the IPC channel closes, and training yields often enough to notice.
process.on('disconnect', () => process.exit(1));

export default async function runQueuedJob(job: SandboxedJob<QueuedJob, JobResult>, _token?: string, signal?: AbortSignal): Promise<JobResult> {
  const report = (progress: JobProgress) => job.updateProgress(progress);
  await report({ kind: 'started', worker: settings.worker });
  let last = 0;
  try {
    worker ??= startJobWorker({ stages: PIPELINE_STAGES, cacheDir: settings.cacheDir, backend: settings.backend as BackendChoice });
    const { leaked } = await (await worker).run(job.data.request, (log, total) => {
      // The abort (a coordinator's Ctrl-C) is seen between epochs; throwing here ends the job's training.
      if (signal?.aborted) throw new UnrecoverableError(`cancelled: ${String(signal.reason ?? 'by its coordinator')}`);
      const now = Date.now();
      if (now - last < PROGRESS_EVERY_MS && log.epoch !== total) return;
      last = now;
      void report({ kind: 'epoch', log, total });
    });
    return { worker: settings.worker, leaked };
  } catch (error) {
    // Never retried: bad input or a bug fails the same way on every worker. BullMQ keeps message and stack only.
    const failure = new UnrecoverableError(error instanceof Error ? error.message : String(error));
    failure.stack = stackOf(error);
    throw failure;
  }
}

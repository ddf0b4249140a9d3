/**
 * Run the plan's jobs that are not cached, on the executor the options ask
 * for — this process for one job at a time, local worker processes for more,
 * BullMQ workers on a Redis queue or Slurm jobs for other machines — with
 * per-job progress, a tensor-leak check per job, and a clean stop on Ctrl-C.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendChoiceOf } from '../src/backend/start-backend.ts';
import type { ExecutorChoice, RunControl } from '../src/cli.ts';
import { publishDataset } from '../src/data/cache.ts';
import type { Executor, ExecutorEvents } from '../src/jobs/executor.ts';
import { InProcessExecutor } from '../src/jobs/in-process-executor.ts';
import type { Job } from '../src/jobs/job.ts';
import { describePlan, forcedJobs } from '../src/jobs/plan.ts';
import { jobsToRun, runJobs, type JobRecord } from '../src/jobs/runner.ts';
import { withInputs, type StageDefinition } from '../src/jobs/stage.ts';
import { WorkerProcessExecutor } from '../src/jobs/worker-process-executor.ts';
import { BullMQExecutor } from '../src/executors/bullmq.ts';
import { connectQueue } from '../src/executors/bullmq-queue.ts';
import { SlurmExecutor } from '../src/executors/slurm.ts';
import { createJobProgress } from '../src/jobs/progress.ts';
import { exitOnSignals } from '../src/util/signals.ts';
// This checkout (also when its compiled copy runs): Slurm's job scripts run pipeline/slurm-job.ts from here.
import { PROJECT_ROOT } from '../src/util/source-files.ts';
import type { StartedRun } from './start-run.ts';

/** The worker process every local worker runs (it knows every stage): worker.ts, or worker.js beside this file's compiled copy. */
const WORKER_SCRIPT = fileURLToPath(new URL(`./worker${path.extname(import.meta.url)}`, import.meta.url));

/** The lines --dry-run prints: every job, its key, and whether it is cached or to run. */
export function describeRunPlan(run: StartedRun, jobs: readonly Job[], stages: readonly StageDefinition[], control: RunControl): string[] {
  return describePlan(jobs, run.store, forcedJobs(jobs, control.force, withInputs(stages).map((s) => s.name)));
}

/**
 * The executor for this run: BullMQ or Slurm when --executor names one; else this process when one
 * job runs at a time, and local worker processes for more.
 */
async function createExecutor(run: StartedRun, stages: readonly StageDefinition[], choice: ExecutorChoice, parallel: number, events: ExecutorEvents): Promise<Executor> {
  // Nothing to run (all cached): no backend to start, no workers, no queue or cluster to reach.
  if (parallel === 0 || (choice.kind === 'local' && parallel <= 1)) {
    // Only a run with a job to do starts the backend here (workers start their own).
    if (parallel === 1) await run.startBackend();
    return new InProcessExecutor({ stages, store: run.store, dataset: run.dataset, backend: run.backend }, events);
  }
  // Workers find the data by content under the cache folder, not by the path it was loaded from.
  await publishDataset(run.store.root, run.dataset, run.facts.fingerprint);
  const dataset = { fingerprint: run.facts.fingerprint, name: run.dataset.name };
  const backend = backendChoiceOf(run.backend);
  if (choice.kind === 'bullmq') return BullMQExecutor.open({ ...(await connectQueue(choice.queue)), engine: run.engine, dataset, events });
  if (choice.kind === 'slurm') {
    return SlurmExecutor.open({ cacheDir: run.store.root, projectRoot: PROJECT_ROOT, sbatchArgs: choice.sbatchArgs, backend, engine: run.engine, dataset, events });
  }
  return new WorkerProcessExecutor({ size: parallel, script: WORKER_SCRIPT, cacheDir: run.store.root, backend, engine: run.engine, dataset }, events);
}

/** Run every job that is not cached; returns the record of what ran and what was cached. */
export async function executePlan(run: StartedRun, jobs: readonly Job[], stages: readonly StageDefinition[], control: RunControl): Promise<JobRecord[]> {
  const { store, log } = run;
  const force = forcedJobs(jobs, control.force, withInputs(stages).map((s) => s.name));
  const progress = createJobProgress(run.config.quiet);
  const toRun = jobsToRun(jobs, store, force);
  const events: ExecutorEvents = {
    epoch: (jobId, epochLog, total) => progress.epoch(jobId, epochLog, total),
    note: (jobId, text) => progress.line(`${jobId}: ${text}`),
    leaked: (jobId, tensors) => log.warn(`${jobId} left ${tensors} tensors behind`),
  };
  const executor = await createExecutor(run, stages, control.executor, Math.min(control.jobs, toRun.size), events);
  const stopHandlingSignals = exitOnSignals(async () => {
    progress.stop();
    return executor.cancel();
  });
  log.header(`train (${toRun.size} of ${jobs.length} jobs to run, ${executor.description})`);
  try {
    return await runJobs(jobs, {
      store,
      force,
      toRun,
      executor,
      events: {
        cached: (job) => progress.line(`${job.id}: cached (${job.key})`),
        corrupt: (job, reason) => progress.line(`warning: ${job.id}: cached output is corrupt (${reason}); recomputing`),
        // A cluster executor says itself when a job is queued or submitted, and when and where it runs.
        started: (job) => { if (control.executor.kind === 'local') progress.line(`${job.id}: running`); },
        finished: (job, seconds) => { progress.done(job.id); progress.line(`${job.id}: done in ${seconds.toFixed(1)} s`); },
      },
    });
  } finally {
    stopHandlingSignals();
    progress.stop();
    await executor.close();
  }
}

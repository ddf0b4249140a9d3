/**
 * Run the plan's jobs that are not cached, on the executor the options ask
 * for — this process for one job at a time, local worker processes for more —
 * with per-job progress, a tensor-leak check per job, and a clean stop on
 * Ctrl-C.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { backendChoiceOf } from '../src/backend/start-backend.ts';
import type { RunControl } from '../src/cli.ts';
import { publishDataset } from '../src/data/cache.ts';
import type { Executor, ExecutorEvents } from '../src/jobs/executor.ts';
import { InProcessExecutor } from '../src/jobs/in-process-executor.ts';
import type { Job } from '../src/jobs/job.ts';
import { describePlan, forcedJobs } from '../src/jobs/plan.ts';
import { jobsToRun, runJobs, type JobRecord } from '../src/jobs/runner.ts';
import { withInputs, type StageDefinition } from '../src/jobs/stage.ts';
import { WorkerProcessExecutor } from '../src/jobs/worker-process-executor.ts';
import { createJobProgress } from '../src/jobs/progress.ts';
import { exitOnSignals } from '../src/util/signals.ts';
import type { StartedRun } from './start-run.ts';

/** The worker process every local worker runs (it knows every stage): worker.ts, or worker.js beside this file's compiled copy. */
const WORKER_SCRIPT = fileURLToPath(new URL(`./worker${path.extname(import.meta.url)}`, import.meta.url));

/** The lines --dry-run prints: every job, its key, and whether it is cached or to run. */
export function describeRunPlan(run: StartedRun, jobs: readonly Job[], stages: readonly StageDefinition[], control: RunControl): string[] {
  return describePlan(jobs, run.store, forcedJobs(jobs, control.force, withInputs(stages).map((s) => s.name)));
}

/** The executor for this run: this process when one job runs at a time, else local worker processes. */
async function createExecutor(run: StartedRun, stages: readonly StageDefinition[], parallel: number, events: ExecutorEvents): Promise<Executor> {
  if (parallel <= 1) {
    // Only a run with a job to do starts the backend here (workers start their own).
    if (parallel === 1) await run.startBackend();
    return new InProcessExecutor({ stages, store: run.store, dataset: run.dataset, backend: run.backend }, events);
  }
  // Workers find the data by content under the cache folder, not by the path it was loaded from.
  await publishDataset(run.store.root, run.dataset, run.facts.fingerprint);
  return new WorkerProcessExecutor({
    size: parallel,
    script: WORKER_SCRIPT,
    cacheDir: run.store.root,
    backend: backendChoiceOf(run.backend),
    engine: run.engine,
    dataset: { fingerprint: run.facts.fingerprint, name: run.dataset.name },
  }, events);
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
  const executor = await createExecutor(run, stages, Math.min(control.jobs, toRun.size), events);
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
        started: (job) => progress.line(`${job.id}: running`),
        finished: (job, seconds) => { progress.done(job.id); progress.line(`${job.id}: done in ${seconds.toFixed(1)} s`); },
      },
    });
  } finally {
    stopHandlingSignals();
    progress.stop();
    await executor.close();
  }
}

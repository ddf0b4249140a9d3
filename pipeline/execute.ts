/**
 * Run the plan's jobs that are not cached: in this process for --jobs 1, or
 * spread over worker processes (pipeline/worker.ts), with per-job progress,
 * a tensor-leak check per job, and a clean stop on Ctrl-C.
 */
import { fileURLToPath } from 'node:url';
import type { ArtifactStore } from '../src/artifacts/store.ts';
import { backendChoiceOf } from '../src/backend/start-backend.ts';
import type { Dataset } from '../src/data/dataset.ts';
import type { DatasetSource } from '../src/data/sources.ts';
import type { Job } from '../src/jobs/job.ts';
import { jobsToRun, runJobs, type JobRecord } from '../src/jobs/runner.ts';
import { WorkerPool } from '../src/jobs/worker-pool.ts';
import type { Logger } from '../src/util/log.ts';
import { createJobProgress } from '../src/util/progress.ts';
import { exitOnSignals } from '../src/util/signals.ts';
import { executeJobCounted } from './stages.ts';
import type { ExecutorChoice } from '../src/cli.ts';
import { openClusterExecutor } from './cluster.ts';

export interface ExecuteOptions {
  jobs: Job[];
  store: ArtifactStore;
  force: Set<string>;
  /** At most this many jobs at once; more than one means worker processes. */
  parallel: number;
  dataset: Dataset;
  /** How workers load the same dataset (checked by fingerprint). */
  source: DatasetSource;
  dataRoot: string;
  fingerprint: string;
  backend: string;
  quiet: boolean;
  log: Logger;
  executor: ExecutorChoice;
  engine: string;
  cacheDir: string;
}

/** Run every job that is not cached; returns the record of what ran and what was cached. */
export async function executePlan(options: ExecuteOptions): Promise<JobRecord[]> {
  const { jobs, store, force, log } = options;
  const progress = createJobProgress(options.quiet);
  const toRun = jobsToRun(jobs, store, force);
  if (options.executor.kind !== 'local' && toRun.size > 0) {
    const cluster = await openClusterExecutor(options.executor, {
      cacheDir: options.cacheDir, dataset: options.dataset, engine: options.engine, backend: backendChoiceOf(options.backend),
      events: {
        epoch: (jobId, epochLog, total) => progress.epoch(jobId, epochLog, total),
        note: (jobId, text) => progress.line(`${jobId}: ${text}`),
        leaked: (jobId, tensors) => log.warn(`${jobId} left ${tensors} tensors behind`),
      },
    });
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      process.once(signal, () => {
        progress.stop();
        void cluster.cancel().then(async (said) => {
          if (said) process.stderr.write(`\n${said}\n`);
          await cluster.close();
          process.stderr.write(`interrupted (${signal}): finished jobs are cached; run the same command again to resume.\n`);
          process.exit(signal === 'SIGINT' ? 130 : 143);
        });
      });
    }
    log.header(`train (${toRun.size} of ${jobs.length} jobs to run, on ${cluster.description})`);
    try {
      return await runJobs(jobs, {
        store, force, toRun, concurrency: cluster.capacity, ordersDependencies: cluster.ordersDependencies,
        execute: (job, after) => cluster.run({ job, replace: force.has(job.id), after }),
        events: {
          cached: (job) => progress.line(`${job.id}: cached (${job.key})`),
          corrupt: (job, reason) => progress.line(`warning: ${job.id}: cached output is corrupt (${reason}); recomputing`),
          started: () => undefined,
          finished: (job, seconds) => { progress.done(job.id); progress.line(`${job.id}: done in ${seconds.toFixed(1)} s`); },
        },
      });
    } finally {
      progress.stop();
      await cluster.close();
    }
  }
  const workers = Math.min(options.parallel, toRun.size);
  const pool = workers > 1
    ? new WorkerPool(workers, fileURLToPath(new URL('./worker.ts', import.meta.url)), {
      type: 'init',
      source: options.source,
      dataRoot: options.dataRoot,
      storeRoot: store.root,
      backend: backendChoiceOf(options.backend),
      fingerprint: options.fingerprint,
    }, {
      epoch: (jobId, epochLog, total) => progress.epoch(jobId, epochLog, total),
      leaked: (jobId, tensors) => log.warn(`${jobId} left ${tensors} tensors behind`),
    })
    : undefined;
  exitOnSignals(() => { progress.stop(); pool?.close(); });
  log.header(`train (${toRun.size} of ${jobs.length} jobs to run${pool ? `, ${workers} at once in worker processes` : ''})`);

  try {
    return await runJobs(jobs, {
      store,
      force,
      toRun,
      concurrency: Math.max(1, workers),
      execute: async (job) => {
        if (pool) return pool.run(job, force.has(job.id));
        const { files, leaked } = await executeJobCounted(job, {
          store,
          dataset: options.dataset,
          backend: options.backend,
          onEpoch: (epochLog, total) => progress.epoch(job.id, epochLog, total),
        });
        if (leaked !== 0) log.warn(`${job.id} left ${leaked} tensors behind`);
        return files;
      },
      events: {
        cached: (job) => progress.line(`${job.id}: cached (${job.key})`),
        corrupt: (job, reason) => progress.line(`warning: ${job.id}: cached output is corrupt (${reason}); recomputing`),
        started: (job) => progress.line(`${job.id}: running`),
        finished: (job, seconds) => { progress.done(job.id); progress.line(`${job.id}: done in ${seconds.toFixed(1)} s`); },
      },
    });
  } finally {
    progress.stop();
    pool?.close();
  }
}

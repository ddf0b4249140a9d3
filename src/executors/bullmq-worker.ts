/**
 * A BullMQ worker (npm run worker): takes semisup jobs off the shared queue
 * and runs each in a child process (BullMQ's sandboxed processor), so this
 * process's event loop stays free to renew the job's lock while the child
 * trains. A worker killed mid-job loses only that job, which the stall check
 * of any live worker puts back in the queue.
 */
import os from 'node:os';
import { QueueEvents, Worker } from 'bullmq';
import type { Logger } from '../util/log.ts';
import { CANCEL_EVENT, LOCK_MS, MAX_LOST_WORKERS, QUEUE_NAME, STALL_CHECK_MS, type CancelEvents, type JobResult, type QueuedJob } from './bullmq-queue.ts';

/** Handed to each child process (in its environment): the worker's own settings. */
export interface ChildSettings {
  cacheDir: string;
  backend: string;
  /** How progress names this worker: host and process. */
  worker: string;
}

export const CHILD_SETTINGS_VARIABLE = 'SEMISUP_QUEUE_WORKER';

export interface QueueWorkerOptions {
  url: string;
  concurrency: number;
  /** The module each child process runs a job with (its default export is the BullMQ processor). */
  processorFile: string;
  cacheDir: string;
  backend: string;
  log: Logger;
}

export interface QueueWorker {
  readonly name: string;
  /** Finish running jobs, then disconnect; `force` stops them at once (they run again elsewhere). */
  close(force?: boolean): Promise<void>;
}

export async function startQueueWorker(options: QueueWorkerOptions): Promise<QueueWorker> {
  const name = `${os.hostname()}-${process.pid}`.replace(/[^A-Za-z0-9-]+/g, '-');
  const settings: ChildSettings = { cacheDir: options.cacheDir, backend: options.backend, worker: `${os.hostname()} (pid ${process.pid})` };
  const connection = { url: options.url };
  const worker = new Worker<QueuedJob, JobResult>(QUEUE_NAME, options.processorFile, {
    connection,
    name,
    concurrency: options.concurrency,
    lockDuration: LOCK_MS,
    stalledInterval: STALL_CHECK_MS,
    maxStalledCount: MAX_LOST_WORKERS,
    useWorkerThreads: false,
    workerForkOptions: { env: { ...process.env, [CHILD_SETTINGS_VARIABLE]: JSON.stringify(settings) } },
    autorun: false,
  });
  const running = new Set<string>();
  const began = new Map<string, number>();
  worker.on('active', (job) => {
    running.add(job.id!);
    began.set(job.id!, Date.now());
    options.log.info(`${job.name} (run ${job.data.runId}): running`);
  });
  worker.on('completed', (job) => {
    running.delete(job.id!);
    options.log.info(`${job.name}: done in ${seconds(began, job.id!)} s`);
  });
  worker.on('failed', (job, error) => {
    if (!job) return;
    running.delete(job.id!);
    options.log.warn(`${job.name}: failed after ${seconds(began, job.id!)} s: ${error.message}`);
  });
  worker.on('error', (error) => options.log.warn(`queue: ${error.message}`));

  // A coordinator's Ctrl-C reaches its workers as a queue event; the child sees it as its job's abort signal.
  const events = new QueueEvents(QUEUE_NAME, { connection });
  events.on<CancelEvents, typeof CANCEL_EVENT>(CANCEL_EVENT, ({ runId }) => {
    for (const id of running) if (id.startsWith(`${runId}.`)) worker.cancelJob(id, 'its run was interrupted');
  });
  await Promise.all([worker.waitUntilReady(), events.waitUntilReady()]);
  void worker.run();
  options.log.info(`worker ${name}: taking jobs from queue "${QUEUE_NAME}" on ${options.url}, ${options.concurrency} at a time (cache ${options.cacheDir}, backend ${options.backend})`);
  return {
    name,
    async close(force = false) {
      await events.close();
      await worker.close(force);
    },
  };
}

function seconds(began: Map<string, number>, id: string): string {
  const start = began.get(id);
  began.delete(id);
  return start === undefined ? '?' : ((Date.now() - start) / 1000).toFixed(1);
}

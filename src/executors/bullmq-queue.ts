/**
 * What a BullMQ coordinator and its workers agree on: the queue's name, the
 * job data and progress messages, the cancel event, and the lock timing that
 * decides how soon a job whose worker died runs again elsewhere.
 */
import type { QueueEventsListener } from 'bullmq';
import { Redis } from 'ioredis';
import { UserError } from '../errors.ts';
import type { JobRequest } from '../jobs/worker-protocol.ts';
import type { EpochLog } from '../train/curves.ts';

/** One queue per Redis database; separate teams or projects use separate databases (redis://host:port/1). */
export const QUEUE_NAME = 'semisup';

/**
 * A worker renews each job's lock every LOCK_MS / 2; once a worker dies its lock lapses within LOCK_MS,
 * and every live worker's check (each STALL_CHECK_MS) puts the job back in the queue: about 20–40 s in
 * all. The worker's own event loop never trains (each job runs in a child process), so renewals are
 * never late, however long an epoch takes.
 */
export const LOCK_MS = 20_000;
export const STALL_CHECK_MS = 10_000;
/** How many times one job may lose its worker before the run gives up on it. */
export const MAX_LOST_WORKERS = 3;

/** Ctrl-C of a coordinator: workers stop their running jobs of that run (a BullMQ custom queue event). */
export const CANCEL_EVENT = 'semisup-cancel';
export interface CancelEvents extends QueueEventsListener {
  [CANCEL_EVENT]: (args: { runId: string }, id: string) => void;
}

/** The data of one queued job. */
export interface QueuedJob {
  /** The coordinator's run; every queue job id starts with it. */
  runId: string;
  request: JobRequest;
}

/** What a worker reports while it runs a job (BullMQ progress, relayed to the coordinator as events). */
export type JobProgress =
  | { kind: 'started'; worker: string }
  | { kind: 'epoch'; log: EpochLog; total: number };

/** A finished job's return value. */
export interface JobResult {
  worker: string;
  leaked: number;
}

/** Queue job ids: unique per run, so a forced rerun is a new job rather than a duplicate of a finished one. */
export function queueJobId(runId: string, request: JobRequest): string {
  return `${runId}.${request.job.stage}.${request.job.key}`;
}

/** Check a --queue value and that a Redis server answers there, before anything waits on it. */
export async function connectQueue(url: string, option = '--queue'): Promise<{ url: string }> {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new UserError(`${option} ${url} is not a URL: give the Redis server as redis://HOST:PORT (or rediss:// for TLS)`);
  }
  if (parsed.protocol !== 'redis:' && parsed.protocol !== 'rediss:') {
    throw new UserError(`${option} ${url}: expected redis://HOST:PORT (or rediss:// for TLS), not ${parsed.protocol}//`);
  }
  const probe = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 5000 });
  let cause: Error | undefined;
  probe.on('error', (error: Error) => { cause ??= error; }); // reported below, once
  try {
    await probe.connect();
    await probe.ping();
  } catch (error) {
    throw new UserError(`${option} ${url}: no Redis server answers there (${(cause ?? error as Error).message}); start one (redis-server --port ${parsed.port || 6379}) or fix ${option}`);
  } finally {
    probe.disconnect();
  }
  return { url };
}

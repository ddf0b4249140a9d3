/**
 * Run a plan: skip every job whose output is already stored and valid, redo
 * corrupt or forced ones, and hand the rest to the executor once their inputs
 * exist. Returns the run's own record of what it executed (written to
 * jobs.json), which is how a rerun proves it trained nothing.
 */
import type { ArtifactStore } from '../artifacts/store.ts';
import type { Executor } from './executor.ts';
import type { Job } from './job.ts';

export type JobStatus = 'cached' | 'ran';

export interface JobRecord {
  id: string;
  stage: string;
  key: string;
  status: JobStatus;
  /** Wall seconds spent on the job in this run (0 when cached). */
  seconds: number;
  /** Why a stored entry was not reused, when it existed but was corrupt. */
  note?: string;
}

export interface RunnerEvents {
  cached(job: Job): void;
  corrupt(job: Job, reason: string): void;
  started(job: Job): void;
  finished(job: Job, seconds: number): void;
}

export interface RunnerOptions {
  store: ArtifactStore;
  executor: Executor;
  /** Ids of jobs to rerun even when cached. */
  force: Set<string>;
  /** The result of jobsToRun when the caller already has it (checking the store reads every cached file). */
  toRun?: Map<string, string | undefined>;
  events: RunnerEvents;
}

/** Which jobs must run (not cached, corrupt, or forced), with the reasons for corrupt ones. */
export function jobsToRun(jobs: readonly Job[], store: ArtifactStore, force: Set<string>): Map<string, string | undefined> {
  const toRun = new Map<string, string | undefined>();
  for (const job of jobs) {
    if (force.has(job.id)) {
      toRun.set(job.id, undefined);
      continue;
    }
    const check = store.check(job.stage, job.key);
    if (!check.ok) toRun.set(job.id, check.reason === 'missing' ? undefined : check.reason);
  }
  return toRun;
}

/**
 * Execute the plan: jobs whose inputs are ready run concurrently up to the executor's capacity,
 * the others wait for them. The first failure stops new hand-overs and is rethrown once the jobs
 * in flight have settled.
 */
export async function runJobs(jobs: readonly Job[], options: RunnerOptions): Promise<JobRecord[]> {
  const { store, events, executor } = options;
  const toRun = options.toRun ?? jobsToRun(jobs, store, options.force);
  const records = new Map<string, JobRecord>();
  for (const job of jobs) {
    if (!toRun.has(job.id)) {
      records.set(job.id, { id: job.id, stage: job.stage, key: job.key, status: 'cached', seconds: 0 });
      events.cached(job);
    }
  }
  // Jobs that others wait for (prepare, pretrain) go first, so long chains start early and workers stay busy.
  const dependents = new Map<string, number>();
  for (const job of jobs) for (const dep of job.deps) dependents.set(dep, (dependents.get(dep) ?? 0) + 1);
  const pending = jobs.filter((job) => toRun.has(job.id))
    .map((job, order) => ({ job, order }))
    .sort((a, b) => (dependents.get(b.job.id) ?? 0) - (dependents.get(a.job.id) ?? 0) || a.order - b.order)
    .map(({ job }) => job);
  const done = new Set(jobs.filter((job) => !toRun.has(job.id)).map((job) => job.id));
  const running = new Map<string, Promise<void>>();
  let failure: unknown;

  // An input is ready when its output exists, or (for executors that order dependencies) once it is handed over.
  const ready = (dep: string) => done.has(dep) || (executor.ordersDependencies && running.has(dep));
  const start = (job: Job): Promise<void> => {
    const reason = toRun.get(job.id);
    if (reason) {
      events.corrupt(job, reason);
      store.remove(job.stage, job.key);
    }
    events.started(job);
    const began = Date.now();
    const after = job.deps.filter((dep) => running.has(dep));
    return executor.run({ job, replace: options.force.has(job.id), after }).then(() => {
      const seconds = (Date.now() - began) / 1000;
      records.set(job.id, { id: job.id, stage: job.stage, key: job.key, status: 'ran', seconds, ...(reason ? { note: `recomputed: ${reason}` } : {}) });
      done.add(job.id);
      events.finished(job, seconds);
    });
  };

  while (pending.length > 0 || running.size > 0) {
    while (failure === undefined && running.size < executor.capacity) {
      const index = pending.findIndex((job) => job.deps.every(ready));
      if (index < 0) break;
      const [job] = pending.splice(index, 1);
      const promise = start(job).catch((error: unknown) => { failure ??= error; }).finally(() => running.delete(job.id));
      running.set(job.id, promise);
    }
    if (running.size === 0) {
      if (failure !== undefined) break;
      if (pending.length > 0) throw new Error(`jobs waiting on inputs that never ran: ${pending.map((job) => job.id).join(', ')}`);
      break;
    }
    await Promise.race(running.values());
  }
  if (failure !== undefined) throw failure;
  return jobs.map((job) => records.get(job.id)!);
}

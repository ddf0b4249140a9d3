/**
 * The executor for --jobs 1: each job runs here, in the main process, one at
 * a time, on the dataset already in memory.
 */
import type { Executor, ExecutorEvents, RunRequest } from './executor.ts';
import { runOneJob, type JobEnvironment } from './run-one-job.ts';

export class InProcessExecutor implements Executor {
  readonly description = 'in this process';
  readonly capacity = 1;
  readonly ordersDependencies = false;

  constructor(private readonly env: Omit<JobEnvironment, 'onEpoch'>, private readonly events: ExecutorEvents) {}

  async run({ job, replace }: RunRequest): Promise<void> {
    const { leaked } = await runOneJob(job, replace, { ...this.env, onEpoch: (log, total) => this.events.epoch(job.id, log, total) });
    if (leaked !== 0) this.events.leaked(job.id, leaked);
  }

  async cancel(): Promise<string | undefined> {
    return undefined;
  }

  async close(): Promise<void> {}
}

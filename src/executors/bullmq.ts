/**
 * The BullMQ executor (--executor bullmq --queue redis://HOST:PORT): the
 * coordinator's side. A job handed over is put on the shared queue under an
 * id that starts with this run's id; workers anywhere take it (see
 * bullmq-worker.ts), and their progress, completion and failure come back as
 * BullMQ queue events, of which this run reads only its own. semisup's runner
 * keeps the dependency order: a job is queued only once its inputs are done.
 */
import { Job, Queue, QueueEvents, QueueEventsProducer } from 'bullmq';
import { CANCEL_EVENT, MAX_LOST_WORKERS, QUEUE_NAME, queueJobId, type JobProgress, type JobResult, type QueuedJob } from './bullmq-queue.ts';
import type { Executor, ExecutorEvents, RunRequest } from '../jobs/executor.ts';
import type { JobRequest } from '../jobs/worker-protocol.ts';
import { errorFromRecord, recordFromStack, withoutLocalStack } from './remote-failure.ts';
import { newRunId } from './run-id.ts';

export interface BullMQExecutorOptions {
  /** redis://HOST:PORT, already checked by connectQueue. */
  url: string;
  /** The run's engine and dataset, sent with every job (a worker refuses a job of another engine). */
  engine: string;
  dataset: JobRequest['dataset'];
  events: ExecutorEvents;
  /** How often to ask Redis for jobs whose events went missing (a dropped connection). */
  watchMs?: number;
  /** How often to check, while jobs wait, that some worker is connected. */
  workersMs?: number;
}

interface Waiting {
  jobId: string;
  worker?: string;
  resolve(): void;
  reject(error: Error): void;
}

export class BullMQExecutor implements Executor {
  readonly capacity = Number.POSITIVE_INFINITY;
  readonly ordersDependencies = false;
  readonly runId = newRunId();
  private readonly waiting = new Map<string, Waiting>();
  private readonly watch: NodeJS.Timeout;
  private readonly workerWatch: NodeJS.Timeout;
  /** Said that jobs wait with no worker connected (again only after some worker came). */
  private saidNoWorkers = false;

  private constructor(
    private readonly options: BullMQExecutorOptions,
    private readonly queue: Queue<QueuedJob, JobResult>,
    private readonly queueEvents: QueueEvents,
    readonly description: string,
  ) {
    queueEvents.on('progress', ({ jobId, data }) => this.onProgress(jobId, data as JobProgress));
    queueEvents.on('stalled', ({ jobId }) => {
      const job = this.waiting.get(jobId);
      if (job) options.events.note(job.jobId, `lost its worker${job.worker ? ` (${job.worker})` : ''}; back in the queue for another`);
    });
    queueEvents.on('completed', ({ jobId, returnvalue }) => this.onCompleted(jobId, returnvalue as unknown));
    queueEvents.on('failed', ({ jobId, failedReason }) => { void this.onFailed(jobId, failedReason); });
    this.watch = setInterval(() => { void this.checkMissedEvents(); }, options.watchMs ?? 15_000);
    this.watch.unref();
    this.workerWatch = setInterval(() => { void this.checkWorkers(); }, options.workersMs ?? 5_000);
    this.workerWatch.unref();
  }

  static async open(options: BullMQExecutorOptions): Promise<BullMQExecutor> {
    const connection = { url: options.url };
    const queue = new Queue<QueuedJob, JobResult>(QUEUE_NAME, { connection });
    const queueEvents = new QueueEvents(QUEUE_NAME, { connection });
    await Promise.all([queue.waitUntilReady(), queueEvents.waitUntilReady()]);
    const workers = await countWorkers(queue);
    const listening = workers === undefined ? '' : workers === 0 ? ' (no worker connected yet: start some with npm run worker)' : ` (${workers} worker${workers === 1 ? '' : 's'} connected)`;
    return new BullMQExecutor(options, queue, queueEvents, `on BullMQ queue "${QUEUE_NAME}" at ${options.url}${listening}`);
  }

  async run({ job, replace }: RunRequest): Promise<void> {
    const request: JobRequest = { job, replace, engine: this.options.engine, dataset: this.options.dataset };
    const id = queueJobId(this.runId, request);
    const done = new Promise<void>((resolve, reject) => this.waiting.set(id, { jobId: job.id, resolve, reject }));
    try {
      // Real failures are never retried (attempts 1); a job whose worker died is requeued by the workers' stall check.
      await this.queue.add(job.id, { runId: this.runId, request }, { jobId: id, attempts: 1, removeOnComplete: { age: 3600 }, removeOnFail: { age: 7 * 24 * 3600 } });
    } catch (error) {
      this.waiting.delete(id);
      throw error;
    }
    this.options.events.note(job.id, 'queued');
    return done;
  }

  private onProgress(id: string, progress: JobProgress): void {
    const job = this.waiting.get(id);
    if (!job || typeof progress !== 'object' || progress === null) return;
    if (progress.kind === 'started') {
      job.worker = progress.worker;
      this.options.events.note(job.jobId, `running on ${progress.worker}`);
    } else if (progress.kind === 'epoch') {
      this.options.events.epoch(job.jobId, progress.log, progress.total);
    }
  }

  private onCompleted(id: string, returnvalue: unknown): void {
    const job = this.settle(id);
    if (!job) return;
    const result = (typeof returnvalue === 'string' ? JSON.parse(returnvalue) : returnvalue) as Partial<JobResult> | null;
    if (result?.leaked) this.options.events.leaked(job.jobId, result.leaked);
    job.resolve();
  }

  private async onFailed(id: string, failedReason: string): Promise<void> {
    const job = this.waiting.get(id);
    if (!job) return;
    const stored = await Job.fromId<QueuedJob, JobResult>(this.queue, id).catch(() => undefined);
    this.reject(id, failureOf(job, failedReason, stored?.stacktrace?.at(-1)));
  }

  private reject(id: string, error: Error): void {
    this.settle(id)?.reject(error);
  }

  private settle(id: string): Waiting | undefined {
    const job = this.waiting.get(id);
    this.waiting.delete(id);
    return job;
  }

  /** Events are a stream read over one connection; a job that ended while it was down is found here. */
  private async checkMissedEvents(): Promise<void> {
    for (const id of [...this.waiting.keys()]) {
      const job = await Job.fromId<QueuedJob, JobResult>(this.queue, id).catch(() => null);
      if (job === null) continue; // Redis unreachable: try again later
      const waiting = this.waiting.get(id);
      if (!waiting) continue;
      if (job === undefined) {
        this.reject(id, new Error(`${waiting.jobId}: its queue job ${id} disappeared from the queue (removed by someone else?); run the same command again`));
      } else if (job.finishedOn && job.failedReason) {
        this.reject(id, failureOf(waiting, job.failedReason, job.stacktrace?.at(-1)));
      } else if (job.finishedOn) {
        this.onCompleted(id, job.returnvalue);
      }
    }
  }

  /** Jobs waiting while every worker is gone (stopped, crashed, never started) would wait silently: say so, once. */
  private async checkWorkers(): Promise<void> {
    if (this.waiting.size === 0) return;
    const workers = await countWorkers(this.queue);
    if (workers === undefined || workers > 0) {
      this.saidNoWorkers = false;
      return;
    }
    const first = this.waiting.values().next().value;
    if (this.saidNoWorkers || !first) return;
    this.saidNoWorkers = true;
    this.options.events.note(first.jobId, `waiting: no worker is connected to the queue; start one with npm run worker -- --queue ${this.options.url} --cache-dir DIR`);
  }

  /** Ctrl-C: take this run's waiting jobs off the queue and ask the workers to stop its running ones; their ends are no longer reported. */
  async cancel(): Promise<string | undefined> {
    const ids = [...this.waiting.keys()];
    this.waiting.clear();
    if (ids.length === 0) return undefined;
    let withdrawn = 0;
    for (const id of ids) if (await this.queue.remove(id).catch(() => 0) === 1) withdrawn++;
    const running = ids.length - withdrawn;
    if (running > 0) {
      const producer = new QueueEventsProducer(QUEUE_NAME, { connection: { url: this.options.url } });
      await producer.publishEvent({ eventName: CANCEL_EVENT, runId: this.runId });
      await producer.close();
    }
    return `withdrew ${withdrawn} waiting job${withdrawn === 1 ? '' : 's'} from the queue${running > 0 ? `; told the workers to stop ${running} running` : ''}`;
  }

  async close(): Promise<void> {
    clearInterval(this.watch);
    clearInterval(this.workerWatch);
    await Promise.all([this.queueEvents.close(), this.queue.close()]);
  }
}

function failureOf(job: Waiting, failedReason: string, stack: string | undefined): Error {
  const where = job.worker ?? 'a queue worker';
  if (/stalled more than/.test(failedReason)) {
    return withoutLocalStack(`${job.jobId}: lost its worker ${MAX_LOST_WORKERS + 1} times (a worker killed, out of memory, or cut off from Redis); see the workers' output`);
  }
  // BullMQ's words for a sandboxed child process that died mid-job (the OOM killer picks the process that trains).
  const died = /^Unexpected exit code: (\S+) signal: (\S+)/.exec(failedReason);
  if (died) {
    const how = died[2] !== 'null' ? died[2] : `exit code ${died[1]}`;
    return withoutLocalStack(`${job.jobId}: its process on ${where} died (${how}${died[2] === 'SIGKILL' ? ', perhaps killed for using too much memory' : ''}); see that worker's output`);
  }
  return errorFromRecord(recordFromStack(failedReason, stack), where);
}


/** Workers connected to the queue, or undefined where the Redis server does not list its clients. */
async function countWorkers(queue: Queue): Promise<number | undefined> {
  try {
    return await queue.getWorkersCount();
  } catch {
    return undefined;
  }
}

/**
 * The executor for --jobs N on one machine: a fixed pool of worker processes
 * (pipeline/worker.ts), each with its own tfjs backend. The wasm backend runs
 * one thread per process in Node, so processes are how a run uses every core.
 * Jobs go to idle workers over IPC; a worker that dies or reports a failure
 * fails that job with its error.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { UserError } from '../errors.ts';
import type { Executor, ExecutorEvents, RunRequest } from './executor.ts';
import type { FromWorker, JobRequest, ToWorker } from './worker-protocol.ts';

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  /** Set when the process has exited or failed to start; a dead worker takes no jobs. */
  dead?: Error;
  current?: { jobId: string; resolve: () => void; reject: (error: Error) => void };
}

export interface WorkerProcessOptions {
  size: number;
  /** The worker script; it takes --cache-dir and --backend. */
  script: string;
  /** The workers' own options: where the artifact store and the published dataset are, and which backend to start. */
  cacheDir: string;
  backend: string;
  /** What every job request carries besides the job. */
  engine: string;
  dataset: JobRequest['dataset'];
}

export class WorkerProcessExecutor implements Executor {
  readonly ordersDependencies = false;
  readonly capacity: number;
  readonly description: string;
  private readonly workers: Worker[] = [];

  constructor(private readonly options: WorkerProcessOptions, private readonly events: ExecutorEvents) {
    this.capacity = options.size;
    this.description = `${options.size} at once in worker processes`;
    for (let i = 0; i < options.size; i++) this.workers.push(this.start());
  }

  private start(): Worker {
    // Workers run TypeScript through the same loader as this process (tsx).
    const args = ['--cache-dir', this.options.cacheDir, '--backend', this.options.backend];
    const child = fork(this.options.script, args, { execArgv: [...process.execArgv], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const worker: Worker = { child, busy: false, ready: Promise.resolve() };
    worker.ready = new Promise<void>((resolve, reject) => {
      child.on('message', (message: FromWorker) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'failed' && message.jobId === undefined) reject(toError(message));
      });
      child.once('exit', (code, signal) => reject(workerGone('while it was starting', code, signal)));
    });
    worker.ready.catch(() => undefined); // awaited in run(); avoid an unhandled rejection in between
    child.on('message', (message: FromWorker) => this.onMessage(worker, message));
    child.on('exit', (code, signal) => {
      worker.dead = workerGone('', code, signal);
      worker.current?.reject(workerGone(`while running ${worker.current.jobId}`, code, signal));
      worker.current = undefined;
    });
    // An IPC failure (e.g. sending to a worker that just died) must fail the job, not crash the run.
    child.on('error', (error) => {
      worker.dead = error;
      worker.current?.reject(error);
      worker.current = undefined;
    });
    return worker;
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    switch (message.type) {
      case 'epoch': this.events.epoch(message.jobId, message.log, message.total); break;
      case 'leaked': this.events.leaked(message.jobId, message.tensors); break;
      case 'done':
      case 'failed': {
        const current = worker.current;
        worker.current = undefined;
        worker.busy = false;
        if (message.type === 'done') current?.resolve();
        else current?.reject(toError(message));
        break;
      }
      default: break;
    }
  }

  async run({ job, replace }: RunRequest): Promise<void> {
    const worker = this.workers.find((w) => !w.busy && !w.dead);
    if (!worker) {
      const dead = this.workers.find((w) => w.dead)?.dead;
      throw dead ?? new Error('no idle worker: the runner started more jobs than the pool has workers');
    }
    worker.busy = true;
    await worker.ready;
    const message: ToWorker = { type: 'job', request: { job, replace, engine: this.options.engine, dataset: this.options.dataset } };
    return new Promise<void>((resolve, reject) => {
      worker.current = { jobId: job.id, resolve, reject };
      worker.child.send(message, (error) => {
        if (error) reject(error);
      });
    });
  }

  async cancel(): Promise<string | undefined> {
    this.stop('SIGTERM');
    return undefined;
  }

  async close(): Promise<void> {
    this.stop('SIGTERM');
  }

  private stop(signal: NodeJS.Signals): void {
    for (const worker of this.workers) {
      if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill(signal);
    }
  }
}

/**
 * Why a worker process is gone. A signal from outside (the system's
 * out-of-memory killer, kill -9, a shutdown) is not a bug of semisup: one
 * line saying what happened and that rerunning resumes. An exit code is a
 * crash of the worker itself, which is.
 */
function workerGone(when: string, code: number | null, signal: NodeJS.Signals | null): Error {
  const during = when ? ` ${when}` : '';
  if (signal === 'SIGKILL') {
    return new UserError(`a worker process was killed (SIGKILL)${during}, most likely by the system when memory ran out: finished jobs are cached, so rerunning the command resumes (with --jobs 1 if memory is short).`);
  }
  if (signal === 'SIGTERM' || signal === 'SIGINT' || signal === 'SIGHUP' || signal === 'SIGQUIT') {
    return new UserError(`a worker process was stopped by ${signal} from outside semisup${during}: finished jobs are cached, so rerunning the command resumes.`);
  }
  return new Error(`a worker process exited${during} (${signal ?? `code ${code}`})`);
}

function toError(message: Extract<FromWorker, { type: 'failed' }>): Error {
  if (message.userError) return new UserError(message.message);
  const error = new Error(message.message);
  if (message.stack) error.stack = message.stack;
  return error;
}

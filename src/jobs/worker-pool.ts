/**
 * A fixed pool of worker processes, each with its own tfjs backend. The wasm
 * backend runs one thread per process in Node, so processes are how a run
 * uses every core. Jobs are handed to idle workers; a worker that dies or
 * reports a failure fails that job with its error.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { UserError } from '../errors.ts';
import type { EpochLog } from '../report/run-record.ts';
import type { Job } from './job.ts';
import type { FromWorker, WorkerInit } from './worker-protocol.ts';

interface Worker {
  child: ChildProcess;
  ready: Promise<void>;
  busy: boolean;
  /** Set when the process has exited or failed to start; a dead worker takes no jobs. */
  dead?: Error;
  current?: { jobId: string; resolve: () => void; reject: (error: Error) => void };
}

export interface PoolEvents {
  epoch(jobId: string, log: EpochLog, total: number): void;
  leaked(jobId: string, tensors: number): void;
}

export class WorkerPool {
  private readonly workers: Worker[] = [];

  constructor(size: number, script: string, init: WorkerInit, private readonly events: PoolEvents) {
    // Workers run TypeScript through the same loader as this process (tsx).
    const execArgv = [...process.execArgv];
    for (let i = 0; i < size; i++) this.workers.push(this.start(script, execArgv, init));
  }

  private start(script: string, execArgv: string[], init: WorkerInit): Worker {
    const child = fork(script, [], { execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    const worker: Worker = { child, busy: false, ready: Promise.resolve() };
    worker.ready = new Promise<void>((resolve, reject) => {
      const onMessage = (message: FromWorker) => {
        if (message.type === 'ready') resolve();
        else if (message.type === 'failed' && message.jobId === undefined) reject(toError(message));
      };
      child.on('message', onMessage);
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
    child.send(init);
    return worker;
  }

  private onMessage(worker: Worker, message: FromWorker): void {
    switch (message.type) {
      case 'epoch': this.events.epoch(message.jobId, message.log, message.total); break;
      case 'leaked': this.events.leaked(message.jobId, message.tensors); break;
      case 'done': {
        const current = worker.current;
        worker.current = undefined;
        worker.busy = false;
        current?.resolve();
        break;
      }
      case 'failed': {
        const current = worker.current;
        worker.current = undefined;
        worker.busy = false;
        current?.reject(toError(message));
        break;
      }
      default: break;
    }
  }

  /** Run a job on an idle worker; resolves when its output is in the store. */
  async run(job: Job, replace = false): Promise<void> {
    const worker = this.workers.find((w) => !w.busy && !w.dead);
    if (!worker) {
      const dead = this.workers.find((w) => w.dead)?.dead;
      throw dead ?? new Error('no idle worker: the runner started more jobs than the pool has workers');
    }
    worker.busy = true;
    await worker.ready;
    return new Promise<void>((resolve, reject) => {
      worker.current = { jobId: job.id, resolve, reject };
      worker.child.send({ type: 'job', job, replace }, (error) => {
        if (error) reject(error);
      });
    });
  }

  /** Stop every worker (after the run, on failure, or on Ctrl-C). */
  close(signal: NodeJS.Signals = 'SIGTERM'): void {
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

/**
 * The Slurm executor (--executor slurm [--slurm-args "..."]): every job
 * handed over becomes one sbatch job that runs the per-job entry point
 * (pipeline/slurm-job.ts, `npm run job`) on a compute node. Slurm orders the
 * plan itself: a job's --dependency=afterok lists its inputs' Slurm jobs,
 * with --kill-on-invalid-dep=yes so that a failed input cancels its
 * dependents instead of leaving them pending forever. The coordinator polls
 * squeue for the run's jobs (by their shared job name) and reads each job's
 * outcome and progress files, which the entry point writes into the run's
 * folder in the shared cache: Slurm's own record of a job lives only
 * MinJobAge seconds, and needs no accounting database this way.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { writeFileAtomic } from '../artifacts/atomic.ts';
import { UserError } from '../errors.ts';
import type { Executor, ExecutorEvents, RunRequest } from '../jobs/executor.ts';
import type { Job } from '../jobs/job.ts';
import type { JobRequest } from '../jobs/worker-protocol.ts';
import type { EpochLog } from '../train/curves.ts';
import { errorFromRecord, withoutLocalStack, type FailureRecord } from './remote-failure.ts';
import { newRunId } from './run-id.ts';

const run = promisify(execFile);

/**
 * When a job's process on its node started, had started up (Node, the build check, tfjs, the backend),
 * and ended: milliseconds since 1970 by its node's clock, the last two measured from the first with
 * the process's own monotonic clock.
 */
export interface JobTiming { startedAt: number; readyAt: number; endedAt: number }

/** What the entry point leaves beside its request: how the job ended, and its latest epoch. */
export type JobOutcome = ({ ok: true; leaked: number } | ({ ok: false } & FailureRecord)) & { node: string; timing?: JobTiming };

/**
 * Where a finished job's time went, as the coordinator sees it: `waited` from the moment it could run
 * (its inputs ended, or it was submitted) until its process started (Slurm's scheduling, and any wait
 * for free CPUs; undefined when an input's end is not known), `startup` its process's start-up,
 * `working` the job itself (its dataset read included), `noticed` from its end until the coordinator
 * heard of it. `waited` and `noticed` compare two machines' clocks, so they can come out a little
 * negative where those differ; they are shown as they are.
 */
export interface SlurmJobTimes { waited?: number; startup: number; working: number; noticed: number }

/** The note a finished job gets, and the bench reads back (parseSlurmJobTimes). */
export function slurmTimesNote(node: string, times: SlurmJobTimes): string {
  const s = (seconds: number) => `${seconds.toFixed(2)} s`;
  const waited = times.waited === undefined ? 'started' : `started ${s(times.waited)} after it could run`;
  return `ended on ${node}: ${waited}, started up in ${s(times.startup)} (Node, tfjs, backend), worked ${s(times.working)}, heard of after ${s(times.noticed)}`;
}

export function parseSlurmJobTimes(line: string): SlurmJobTimes | undefined {
  const seconds = '(-?[\\d.]+) s';
  const found = new RegExp(`ended on \\S+: started(?: ${seconds} after it could run)?, started up in ${seconds} \\(Node, tfjs, backend\\), worked ${seconds}, heard of after ${seconds}`).exec(line);
  if (!found) return undefined;
  const [waited, startup, working, noticed] = found.slice(1).map((text) => (text === undefined ? undefined : Number(text)));
  return { ...(waited === undefined ? {} : { waited }), startup: startup!, working: working!, noticed: noticed! };
}
export interface JobProgressFile { log: EpochLog; total: number }

/** The files of one Slurm job, all beside its request file in the run's folder. */
export function slurmJobFiles(requestFile: string): { request: string; outcome: string; progress: string; log: string; script: string } {
  const base = requestFile.replace(/\.request\.json$/, '');
  return { request: requestFile, outcome: `${base}.outcome.json`, progress: `${base}.progress.json`, log: `${base}.log`, script: `${base}.sh` };
}

export interface SlurmExecutorOptions {
  /** The shared cache folder, at this same path on every node. */
  cacheDir: string;
  /** This checkout of semisup, at this same path on every node. */
  projectRoot: string;
  /** Extra sbatch options (--slurm-args): partition, time, memory, account. */
  sbatchArgs: string[];
  backend: string;
  engine: string;
  dataset: JobRequest['dataset'];
  events: ExecutorEvents;
  /** Environment of Slurm's commands (SLURM_CONF for a test cluster). */
  env?: NodeJS.ProcessEnv;
  pollMs?: number;
}

interface Submitted {
  jobId: string;
  slurmId: string;
  /** When sbatch accepted it, and its inputs still running then: from the later of these it could run. */
  submittedAt: number;
  inputs: string[];
  files: ReturnType<typeof slurmJobFiles>;
  lastNote?: string;
  /** squeue last listed it as running: its outcome file is looked for between squeue's answers. */
  running?: boolean;
  lastEpoch?: number;
  /** Consecutive polls that did not list it. */
  misses?: number;
  resolve(): void;
  reject(error: Error): void;
}

const MISSES_BEFORE_LOST = 3;

/**
 * How often a running job's outcome file is looked for: a finished job is heard of within this, not
 * at the next squeue poll (which matters to the report only, as Slurm starts dependents itself).
 */
const OUTCOME_POLL_MS = 200;

/** Slurm states in which a job will not run (again) by itself. */
const ENDED = new Set(['COMPLETED', 'FAILED', 'CANCELLED', 'TIMEOUT', 'OUT_OF_MEMORY', 'NODE_FAIL', 'PREEMPTED', 'BOOT_FAIL', 'DEADLINE', 'SPECIAL_EXIT', 'REVOKED']);

export class SlurmExecutor implements Executor {
  readonly capacity = Number.POSITIVE_INFINITY;
  readonly ordersDependencies = true;
  readonly runId = newRunId();
  readonly description: string;
  private readonly runDir: string;
  private readonly jobName: string;
  /** By semisup job id, in submission order (inputs before the jobs that read them). */
  private readonly submitted = new Map<string, Submitted>();
  /** Each handed-over job's Slurm id, once sbatch has given it; its dependents' afterok waits for it. */
  private readonly slurmIds = new Map<string, Promise<string>>();
  private readonly finished = new Map<string, 'done' | 'failed'>();
  /** When each finished job's process ended (its outcome's timing). */
  private readonly endedAt = new Map<string, number>();
  private poller: NodeJS.Timeout | undefined;
  private outcomePoller: NodeJS.Timeout | undefined;
  private polling = false;
  private failures = 0;

  private constructor(private readonly options: SlurmExecutorOptions, version: string) {
    this.runDir = path.join(options.cacheDir, 'slurm', this.runId);
    this.jobName = `semisup-${this.runId}`;
    this.description = `as Slurm jobs (${version}; sbatch${options.sbatchArgs.length ? ` ${options.sbatchArgs.join(' ')}` : ''}; job name ${this.jobName})`;
  }

  static async open(options: SlurmExecutorOptions): Promise<SlurmExecutor> {
    let version: string;
    try {
      version = (await run('sbatch', ['--version'], { env: options.env })).stdout.trim();
    } catch (error) {
      throw new UserError(`--executor slurm: cannot run sbatch (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); run the coordinator where Slurm's commands work (a login node)`);
    }
    return new SlurmExecutor(options, version);
  }

  run({ job, replace, after }: RunRequest): Promise<void> {
    // Known before the first await: the runner hands over a job's dependents as soon as this returns.
    const submission = this.submit(job, replace, after);
    const slurmId = submission.then((submitted) => submitted.slurmId);
    slurmId.catch(() => undefined); // a failed submission is reported by run(); its dependents fail with it
    this.slurmIds.set(job.id, slurmId);
    return submission.then((submitted) => submitted.done);
  }

  private async submit(job: Job, replace: boolean, after: string[]): Promise<{ slurmId: string; done: Promise<void> }> {
    const request: JobRequest = { job, replace, engine: this.options.engine, dataset: this.options.dataset };
    const name = `${String(this.slurmIds.size + 1).padStart(4, '0')}-${job.stage}-${job.key.slice(0, 12)}`;
    const files = slurmJobFiles(path.join(this.runDir, `${name}.request.json`));
    await writeFileAtomic(files.request, JSON.stringify(request));
    await writeFileAtomic(files.script, this.script(job.id, files.request));
    // An input that already ended well needs no dependency (Slurm may have forgotten it by now).
    const running = after.filter((id) => this.finished.get(id) !== 'done' && this.slurmIds.has(id));
    const inputs = await Promise.all(running.map((id) => this.slurmIds.get(id)!));
    const args = ['--parsable', `--job-name=${this.jobName}`, `--comment=${job.id}`, `--output=${files.log}`, `--chdir=${this.options.projectRoot}`];
    if (inputs.length > 0) args.push(`--dependency=afterok:${inputs.join(':')}`, '--kill-on-invalid-dep=yes');
    args.push(...this.options.sbatchArgs, files.script);
    let slurmId: string;
    // Before sbatch is asked: a job without inputs may start before sbatch has answered.
    const submittedAt = Date.now();
    try {
      slurmId = /^\d+/.exec((await run('sbatch', args, { env: this.options.env })).stdout.trim())?.[0] ?? '';
    } catch (error) {
      const said = ((error as { stderr?: string }).stderr ?? '').trim().split('\n').at(-1) || (error as Error).message;
      throw new UserError(`sbatch refused ${job.id}: ${said}; check --slurm-args`);
    }
    if (!slurmId) throw new Error(`sbatch gave no job id for ${job.id}`);
    const done = new Promise<void>((resolve, reject) => this.submitted.set(job.id, { jobId: job.id, slurmId, submittedAt, inputs: running, files, resolve, reject }));
    this.options.events.note(job.id, `submitted as Slurm job ${slurmId}${inputs.length ? ` (after ${inputs.join(', ')})` : ''}`);
    this.poller ??= setInterval(() => { void this.poll(); }, this.options.pollMs ?? 1000);
    this.outcomePoller ??= setInterval(() => this.lookForOutcomes(), OUTCOME_POLL_MS);
    return { slurmId, done };
  }

  private script(jobId: string, requestFile: string): string {
    const quote = (text: string) => `'${text.replace(/'/g, `'\\''`)}'`;
    return [
      '#!/bin/sh',
      `# semisup job "${jobId}" of run ${this.runId}: written by the coordinator; sbatch runs it on a compute node`,
      `cd ${quote(this.options.projectRoot)} || exit 1`,
      // `npm run job` without npm's own start-up: the compiled copy (scripts/start.mjs), rebuilt first if a source changed.
      `exec ${quote(process.execPath)} scripts/start.mjs pipeline/slurm-job.ts --request ${quote(requestFile)} --cache-dir ${quote(this.options.cacheDir)} --backend ${this.options.backend}`,
      '',
    ].join('\n');
  }

  /** One look at the run's jobs: states worth a note, new epochs, and the ends. */
  private async poll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      // Only jobs submitted before squeue was asked can be missing from its answer.
      const watched = [...this.submitted.values()];
      const states = await this.queueStates();
      for (const job of watched) {
        if (this.finished.has(job.jobId)) continue;
        const state = states.get(job.slurmId);
        if (state === undefined) this.missing(job);
        else if (ENDED.has(state.state)) this.settle(job, state.state, state.reason);
        else this.observe(job, state.state, state.reason, state.node);
      }
      this.failures = 0;
    } catch (error) {
      // slurmctld busy or restarting: keep the jobs and look again, saying so once.
      if (this.failures++ === 0) process.stderr.write(`warning: squeue failed (${(error as Error).message.split('\n')[0]}); retrying\n`);
    } finally {
      this.polling = false;
    }
  }

  private async queueStates(): Promise<Map<string, { state: string; reason: string; node: string }>> {
    const { stdout } = await run('squeue', ['--noheader', '--states=all', `--name=${this.jobName}`, '--format=%i|%T|%r|%N'], { env: this.options.env });
    const states = new Map<string, { state: string; reason: string; node: string }>();
    for (const line of stdout.split('\n')) {
      const [id, state, reason, node] = line.trim().split('|');
      if (id) states.set(id, { state, reason: reason ?? '', node: node ?? '' });
    }
    return states;
  }

  /**
   * A job not in squeue's answer ended more than MinJobAge ago (Slurm forgot it): its outcome file says
   * how. Without one, it is taken for lost only after a few polls, in case one answer was incomplete.
   */
  private missing(job: Submitted): void {
    job.misses = (job.misses ?? 0) + 1;
    if (fs.existsSync(job.files.outcome) || job.misses >= MISSES_BEFORE_LOST) this.settle(job, 'GONE', '');
  }

  /** A running job that has written how it ended has ended (its output is committed before that). */
  private lookForOutcomes(): void {
    for (const job of this.submitted.values()) {
      if (!job.running || this.finished.has(job.jobId)) continue;
      const outcome = readJson<JobOutcome>(job.files.outcome);
      if (outcome) this.settle(job, outcome.ok ? 'COMPLETED' : 'FAILED', '');
    }
  }

  private observe(job: Submitted, state: string, reason: string, node: string): void {
    job.misses = 0;
    job.running = state === 'RUNNING' || state === 'COMPLETING';
    const note = state === 'PENDING' ? `pending in Slurm${reason && reason !== 'None' ? ` (${reason})` : ''}` : state === 'RUNNING' ? `running on ${node} (Slurm job ${job.slurmId})` : `${state.toLowerCase()} in Slurm`;
    if (note !== job.lastNote && state !== 'COMPLETING') {
      job.lastNote = note;
      this.options.events.note(job.jobId, note);
    }
    const progress = readJson<JobProgressFile>(job.files.progress);
    if (progress && progress.log.epoch !== job.lastEpoch) {
      job.lastEpoch = progress.log.epoch;
      this.options.events.epoch(job.jobId, progress.log, progress.total);
    }
  }

  private settle(job: Submitted, state: string, reason: string): void {
    const outcome = readJson<JobOutcome>(job.files.outcome);
    if (state === 'COMPLETED' || (state === 'GONE' && outcome?.ok)) {
      if (outcome?.ok) {
        this.finished.set(job.jobId, 'done');
        if (outcome.timing) this.noteTimes(job, outcome.node, outcome.timing);
        if (outcome.leaked) this.options.events.leaked(job.jobId, outcome.leaked);
        job.resolve();
        return;
      }
    }
    this.finished.set(job.jobId, 'failed');
    job.reject(this.failure(job, state, reason, outcome));
  }

  private noteTimes(job: Submitted, node: string, timing: JobTiming): void {
    this.endedAt.set(job.jobId, timing.endedAt);
    const inputsEnded = job.inputs.map((id) => this.endedAt.get(id));
    const seconds = (from: number, to: number) => (to - from) / 1000;
    const known = inputsEnded.every((at) => at !== undefined);
    this.options.events.note(job.jobId, slurmTimesNote(node, {
      ...(known ? { waited: seconds(Math.max(job.submittedAt, ...(inputsEnded as number[])), timing.startedAt) } : {}),
      startup: seconds(timing.startedAt, timing.readyAt),
      working: seconds(timing.readyAt, timing.endedAt),
      noticed: seconds(timing.endedAt, Date.now()),
    }));
  }

  private failure(job: Submitted, state: string, reason: string, outcome: JobOutcome | undefined): Error {
    const where = `Slurm job ${job.slurmId}`;
    if (outcome && !outcome.ok) return errorFromRecord(outcome, `${where} on ${outcome.node}`);
    if (reason === 'DependencyNeverSatisfied') return new UserError(`${job.jobId}: not run, because an input of it failed (${where} was cancelled by Slurm)`);
    if (state === 'TIMEOUT') return new UserError(`${job.jobId}: ${where} reached its time limit; give jobs more time with --slurm-args "--time=…"`);
    if (state === 'OUT_OF_MEMORY') return new UserError(`${job.jobId}: ${where} ran out of memory; ask for more with --slurm-args "--mem=…"`);
    if (state === 'CANCELLED') return new UserError(`${job.jobId}: ${where} was cancelled outside this run (scancel?); run the same command again to resume`);
    const ended = state === 'GONE' ? 'left Slurm\'s queue' : `ended ${state}${reason && reason !== 'None' ? ` (${reason})` : ''}`;
    // The process on the node died (out of memory, a crash, a node failure): its own output says why.
    return withoutLocalStack(`${job.jobId}: ${where} ${ended} without a result; the end of its output (${job.files.log}):\n${tail(job.files.log)}`);
  }

  /** Ctrl-C: cancel the run's Slurm jobs, pending and running alike; their ends are no longer reported (the run is over). */
  async cancel(): Promise<string | undefined> {
    this.stopPolling();
    const open = [...this.submitted.values()].filter((job) => !this.finished.has(job.jobId));
    if (open.length === 0) return undefined;
    await run('scancel', [`--name=${this.jobName}`], { env: this.options.env }).catch(() => undefined);
    return `cancelled ${open.length} Slurm job${open.length === 1 ? '' : 's'} (scancel --name=${this.jobName})`;
  }

  private stopPolling(): void {
    if (this.poller) clearInterval(this.poller);
    if (this.outcomePoller) clearInterval(this.outcomePoller);
  }

  async close(): Promise<void> {
    this.stopPolling();
    // The run's folder holds requests, scripts and logs: kept when a job failed, for reading.
    if ([...this.finished.values()].every((end) => end === 'done')) fs.rmSync(this.runDir, { recursive: true, force: true });
  }
}

function readJson<T>(file: string): T | undefined {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

/** The end of a job's output, with the last line naming an error when that came earlier (a crash's native stack trace follows its message). */
function tail(file: string, lines = 12): string {
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return '(no output)';
  }
  const all = text.trimEnd().split('\n');
  const end = all.slice(-lines);
  const named = all.slice(0, -lines).reverse().find((line) => /^(FATAL ERROR|[A-Za-z]*Error)\b|\berror:/.test(line));
  return [...(named ? [named, '…'] : []), ...end].join('\n');
}

/**
 * The full pipeline: options → plan → stages → report.
 *
 *   npm run pipeline -- [options]        (npm run pipeline -- --help)
 *
 * Reads the options into a config, starts the best tfjs backend, loads the
 * dataset and checks the label budgets, plans every job with its content key,
 * runs the jobs that are not cached (prepare → pretrain → finetune, and
 * baseline), then writes the report and says where it is.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { ArtifactStore, type EntryFiles } from '../src/artifacts/store.ts';
import { packageVersions, startBackend } from '../src/backend/start-backend.ts';
import { configFromArgs, parseArgs, runControlFromArgs, type RunControl } from '../src/cli.ts';
import type { PipelineConfig } from '../src/config.ts';
import { datasetFingerprint } from '../src/data/cache.ts';
import { featureCount, isImageDataset, type Dataset } from '../src/data/dataset.ts';
import { createDownloadProgress } from '../src/data/download-progress.ts';
import { loadDatasetSource, type DatasetSource } from '../src/data/sources.ts';
import { budgetsOf, validateSplitPlan } from '../src/data/split.ts';
import type { StageContext } from '../src/jobs/context.ts';
import type { Job, StageName } from '../src/jobs/job.ts';
import { runJobs, type JobRecord } from '../src/jobs/runner.ts';
import type { EnvironmentInfo, RunParams, RunPictures, TrainingCurve } from '../src/report/run-record.ts';
import type { ClassifierOutcome } from '../src/train/train-classifier.ts';
import { runCommand } from '../src/util/command.ts';
import { createLogger, type Logger } from '../src/util/log.ts';
import { createJobProgress } from '../src/util/progress.ts';
import { WorkerPool } from '../src/jobs/worker-pool.ts';
import { fileURLToPath } from 'node:url';
import type { BackendChoice } from '../src/config.ts';
import { baseline } from './baseline.ts';
import { finetune } from './finetune.ts';
import { buildPlan, type DatasetFacts } from './plan.ts';
import { loadSplit, prepare } from './prepare.ts';
import { pretrain } from './pretrain.ts';
import { writeRunReport } from './report.ts';
import { isEntryScript } from './stage-main.ts';

export interface MainOptions {
  /** Run only the jobs of this stage and those it needs (a stage file run alone); no report. */
  untilStage?: StageName;
  scriptName?: string;
}

/** Parse argv, run, and exit with the CLI's codes: 0 done, 2 bad input, 1 a bug. */
export async function main(argv: string[], options: MainOptions = {}): Promise<void> {
  await runCommand(async () => {
    const args = await parseArgs(argv, options.scriptName ?? 'npm run pipeline --');
    if (args === null) return;
    await runPipeline(configFromArgs(args), runControlFromArgs(args), options);
  });
}

/** What --dataset and its companions ask to load. */
function datasetSource(config: PipelineConfig): DatasetSource {
  switch (config.dataset) {
    case 'embedded': return { kind: 'embedded' };
    case 'idx': return { kind: 'idx', dir: config.dataDir };
    case 'csv': return { kind: 'csv', file: config.csv, labelColumn: config.labelColumn, dropColumns: config.dropColumns, impute: config.impute === 'mean' ? 'mean' : undefined };
    default: return { kind: 'named', name: config.dataset, download: config.download };
  }
}

function datasetFacts(dataset: Dataset): DatasetFacts {
  return {
    fingerprint: datasetFingerprint(dataset),
    features: featureCount(dataset),
    classCount: dataset.classNames.length,
    inputKind: isImageDataset(dataset) ? 'image' : 'table',
    hasOfficialTest: dataset.officialTrainCount !== undefined,
  };
}

/** Jobs of `stage` and everything they read. */
function jobsUpTo(jobs: Job[], stage: StageName): Job[] {
  const byId = new Map(jobs.map((job) => [job.id, job]));
  const wanted = new Set<string>();
  const add = (job: Job): void => {
    if (wanted.has(job.id)) return;
    wanted.add(job.id);
    job.deps.forEach((dep) => add(byId.get(dep)!));
  };
  jobs.filter((job) => job.stage === stage).forEach(add);
  return jobs.filter((job) => wanted.has(job.id));
}

/** Run one job in this process. */
export async function executeJob(job: Job, ctx: StageContext): Promise<EntryFiles> {
  switch (job.stage) {
    case 'prepare': return prepare(job, ctx);
    case 'pretrain': return pretrain(job, ctx);
    case 'finetune': return finetune(job, ctx);
    case 'baseline': return baseline(job, ctx);
  }
}

function environment(backend: string): EnvironmentInfo {
  let gitCommit: string | undefined;
  try {
    gitCommit = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: path.dirname(new URL(import.meta.url).pathname), stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    gitCommit = undefined; // not a git checkout (e.g. an unpacked release)
  }
  const cpus = os.cpus();
  return {
    backend,
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    cpuModel: cpus[0]?.model ?? 'unknown',
    cores: cpus.length,
    versions: packageVersions(),
    ...(gitCommit ? { gitCommit } : {}),
  };
}

/** Create reports/<id> (or <id>-2, -3, … when two runs start in the same second) and return it. */
function claimRunDir(reportsRoot: string, runId: string): string {
  fs.mkdirSync(reportsRoot, { recursive: true });
  for (let n = 1; ; n++) {
    const dir = path.join(reportsRoot, n === 1 ? runId : `${runId}-${n}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** A run id that sorts by time and is safe as a folder name. */
function newRunId(now: Date): string {
  return now.toISOString().replace(/\..*$/, '').replace(/:/g, '-');
}

export async function runPipeline(config: PipelineConfig, control: RunControl, options: MainOptions = {}): Promise<void> {
  const startedAt = new Date();
  const log = createLogger(config.quiet);
  const backend = await startBackend(config.backend);
  log.info(`backend: ${backend.name}${backend.skipped.length ? ` (passed over: ${backend.skipped.join('; ')})` : ''}`);

  log.header('prepare');
  const loadStarted = Date.now();
  const { dataset } = await loadDatasetSource(datasetSource(config), {
    dataRoot: config.cacheDir,
    onProgress: config.quiet ? undefined : createDownloadProgress(),
    onNote: (note) => log.info(note),
  });
  const budgets = budgetsOf(config);
  validateSplitPlan(dataset, config.testFraction, budgets);
  const facts = datasetFacts(dataset);
  log.info(`dataset: ${dataset.name}, ${dataset.y.length} samples, ${facts.features} features, ${facts.classCount} classes (${((Date.now() - loadStarted) / 1000).toFixed(1)} s)`);

  const store = new ArtifactStore(path.resolve(config.cacheDir));
  let jobs = buildPlan(config, facts, backend.name);
  if (options.untilStage) jobs = jobsUpTo(jobs, options.untilStage);
  const force = new Set(jobs.filter((job) => control.force.includes(job.stage)).map((job) => job.id));

  if (control.dryRun) {
    printPlan(jobs, store, force, log);
    return;
  }

  const progress = createJobProgress(config.quiet);
  const toRunCount = jobs.filter((job) => force.has(job.id) || !store.check(job.stage, job.key).ok).length;
  const workers = Math.min(control.jobs, toRunCount);
  const pool = workers > 1
    ? new WorkerPool(workers, fileURLToPath(new URL('./worker.ts', import.meta.url)), {
      type: 'init',
      source: datasetSource(config),
      dataRoot: config.cacheDir,
      storeRoot: store.root,
      backend: BACKEND_CHOICE_OF[backend.name] ?? config.backend,
      fingerprint: facts.fingerprint,
    }, {
      epoch: (jobId, epochLog, total) => progress.epoch(jobId, epochLog, total),
      leaked: (jobId, tensors) => log.warn(`${jobId} left ${tensors} tensors behind`),
    })
    : undefined;
  stopOnSignals(() => { progress.stop(); pool?.close(); });
  log.header(`train (${toRunCount} of ${jobs.length} jobs to run${pool ? `, ${workers} at once in worker processes` : ''})`);

  const ctx: StageContext = { store, dataset, backend: backend.name, onEpoch: () => undefined };
  let records: JobRecord[];
  try {
    records = await runJobs(jobs, {
      store,
      force,
      concurrency: Math.max(1, workers),
      execute: async (job) => {
        if (pool) return pool.run(job);
        const before = tf.memory().numTensors;
        const files = await executeJob(job, { ...ctx, onEpoch: (epochLog, total) => progress.epoch(job.id, epochLog, total) });
        const leaked = tf.memory().numTensors - before;
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

  if (options.untilStage) {
    log.always(`${options.untilStage}: ${records.filter((r) => r.stage === options.untilStage).length} jobs done; outputs in ${store.root}`);
    return;
  }

  log.header('report');
  const runId = newRunId(startedAt);
  const runDir = config.out || claimRunDir(path.resolve('reports'), runId);
  const outcomes = jobs.filter((job) => job.stage === 'finetune' || job.stage === 'baseline')
    .map((job) => store.readJson<ClassifierOutcome>(job.stage, job.key, 'result.json'));
  const pretrainJobs = jobs.filter((job) => job.stage === 'pretrain');
  const firstSplit = loadSplit(store, jobs.find((job) => job.stage === 'prepare')!.key);
  const stageSeconds: Record<string, number> = {};
  for (const record of records) stageSeconds[record.stage] = (stageSeconds[record.stage] ?? 0) + record.seconds;
  const params: RunParams = {
    runId,
    createdAt: startedAt.toISOString(),
    config: { ...config } as unknown as Record<string, unknown>,
    environment: environment(backend.name),
    dataset: {
      name: dataset.name,
      inputShape: dataset.inputShape,
      classNames: dataset.classNames,
      poolSize: firstSplit.pool.length,
      testSize: firstSplit.test.length,
    },
    stageSeconds,
    totalSeconds: (Date.now() - startedAt.getTime()) / 1000,
  };
  const firstPictures = pretrainJobs[0] && store.check('pretrain', pretrainJobs[0].key).ok && fs.existsSync(path.join(store.entryDir('pretrain', pretrainJobs[0].key), 'pictures.json'))
    ? store.readJson<RunPictures>('pretrain', pretrainJobs[0].key, 'pictures.json')
    : undefined;
  const built = await writeRunReport(runDir, {
    rows: outcomes.map((o) => o.row),
    params,
    curves: [
      ...pretrainJobs.map((job) => store.readJson<TrainingCurve>('pretrain', job.key, 'curve.json')),
      ...outcomes.map((o) => o.curve),
    ],
    confusions: outcomes.map((o) => o.confusion),
    pictures: firstPictures,
  }, records);
  log.info('');
  log.info(built.table);
  log.info('');
  log.info(built.headline);
  log.always(`report written to ${path.relative(process.cwd(), built.htmlPath) || built.htmlPath} (and report.md beside it)`);
}

/** tfjs's backend names back to the CLI's, so workers start exactly the backend the main process reported. */
const BACKEND_CHOICE_OF: Record<string, BackendChoice> = { tensorflow: 'native', wasm: 'wasm', cpu: 'cpu' };

/**
 * Ctrl-C (SIGINT) or SIGTERM: stop workers and exit at once with 130/143.
 * Finished jobs are already in the store; a job cut off mid-way left only a
 * temporary folder that no later run trusts, so a rerun resumes from there.
 */
function stopOnSignals(cleanup: () => void): void {
  for (const [signal, code] of [['SIGINT', 130], ['SIGTERM', 143]] as const) {
    process.once(signal, () => {
      cleanup();
      process.stderr.write(`\ninterrupted (${signal}): finished jobs are cached; run the same command again to resume.\n`);
      process.exit(code);
    });
  }
}

function printPlan(jobs: Job[], store: ArtifactStore, force: Set<string>, log: Logger): void {
  log.always(`plan: ${jobs.length} jobs (data in ${store.root})`);
  for (const job of jobs) {
    const check = store.check(job.stage, job.key);
    const status = force.has(job.id) ? 'forced' : check.ok ? 'cached' : check.reason === 'missing' ? 'to run' : `to run (corrupt: ${check.reason})`;
    log.always(`  ${job.id.padEnd(36)} ${job.key}  ${status}`);
  }
}

export type { JobRecord };

if (isEntryScript(import.meta.url)) void main(process.argv.slice(2));

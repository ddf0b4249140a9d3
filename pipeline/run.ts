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
import { UserError, USER_ERROR_EXIT_CODE } from '../src/errors.ts';
import type { StageContext } from '../src/jobs/context.ts';
import type { Job, StageName } from '../src/jobs/job.ts';
import { runJobs, type JobRecord } from '../src/jobs/runner.ts';
import type { EnvironmentInfo, RunParams, RunPictures, TrainingCurve } from '../src/report/run-record.ts';
import type { ClassifierOutcome } from '../src/train/train-classifier.ts';
import { createLogger, type Logger } from '../src/util/log.ts';
import { baseline } from './baseline.ts';
import { finetune } from './finetune.ts';
import { pca } from './pca.ts';
import { buildPlan, reportedJobs, type DatasetFacts } from './plan.ts';
import { prepare } from './prepare.ts';
import { pretrain } from './pretrain.ts';
import { pseudoLabel } from './pseudo-label.ts';
import { writeRunReport } from './report.ts';
import { isEntryScript } from './stage-main.ts';

export interface MainOptions {
  /** Run only the jobs of this stage and those it needs (a stage file run alone); no report. */
  untilStage?: StageName;
  scriptName?: string;
}

/** Parse argv, run, and exit with the CLI's codes: 0 done, 2 bad input, 1 a bug. */
export async function main(argv: string[], options: MainOptions = {}): Promise<void> {
  try {
    const args = await parseArgs(argv, options.scriptName ?? 'npm run pipeline --');
    if (args === null) return;
    const config = configFromArgs(args);
    await runPipeline(config, runControlFromArgs(args), options);
  } catch (error) {
    if (error instanceof UserError) {
      process.stderr.write(`error: ${error.message}\n`);
      process.exit(USER_ERROR_EXIT_CODE);
    }
    process.stderr.write(`${error instanceof Error ? error.stack ?? error.message : String(error)}\n`);
    process.exit(1);
  }
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
    inputShape: dataset.inputShape,
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
    case 'pca': return pca(job, ctx);
    case 'pseudo-label': return pseudoLabel(job, ctx);
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

  const ctx: StageContext = { store, dataset, backend: backend.name, onEpoch: () => undefined };
  const records = await runJobs(jobs, {
    store,
    force,
    concurrency: 1,
    execute: async (job) => {
      const before = tf.memory().numTensors;
      let lastPrinted = 0;
      const files = await executeJob(job, {
        ...ctx,
        onEpoch: (epochLog, total) => {
          // Whole lines, about four per job, so logs stay readable.
          if (epochLog.epoch === total || epochLog.epoch - lastPrinted >= Math.max(1, Math.ceil(total / 4))) {
            lastPrinted = epochLog.epoch;
            const accuracy = epochLog.accuracy === undefined ? '' : `, train accuracy ${(epochLog.accuracy * 100).toFixed(1)} %`;
            log.info(`  ${job.id}: epoch ${epochLog.epoch}/${total}, loss ${epochLog.loss.toFixed(4)}${accuracy}`);
          }
        },
      });
      const leaked = tf.memory().numTensors - before;
      if (leaked !== 0) log.warn(`${job.id} left ${leaked} tensors behind`);
      return files;
    },
    events: {
      cached: (job) => log.info(`${job.id}: cached (${job.key})`),
      corrupt: (job, reason) => log.warn(`${job.id}: cached output is corrupt (${reason}); recomputing`),
      started: (job) => log.info(`${job.id}: running`),
      finished: (job, seconds) => log.info(`${job.id}: done in ${seconds.toFixed(1)} s`),
    },
  });

  if (options.untilStage) {
    log.always(`${options.untilStage}: ${records.filter((r) => r.stage === options.untilStage).length} jobs done; outputs in ${store.root}`);
    return;
  }

  log.header('report');
  const runId = newRunId(startedAt);
  const runDir = config.out || path.resolve('reports', runId);
  const outcomes = reportedJobs(jobs, config)
    .map((job) => store.readJson<ClassifierOutcome>(job.stage, job.key, 'result.json'));
  const pretrainJobs = jobs.filter((job) => job.stage === 'pretrain');
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
      poolSize: dataset.officialTrainCount ?? dataset.y.length - Math.round(dataset.y.length * config.testFraction),
      testSize: dataset.officialTrainCount !== undefined ? dataset.y.length - dataset.officialTrainCount : Math.round(dataset.y.length * config.testFraction),
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

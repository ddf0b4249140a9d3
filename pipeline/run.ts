/**
 * The full pipeline: options → plan → stages → report.
 *
 *   npm run pipeline -- [options]        (npm run pipeline -- --help)
 *
 * Read the options into a config, start the best tfjs backend, load the
 * dataset and check the label budgets before anything is written. Plan every
 * job with the content key of its output; run those not already cached
 * (prepare → pretrain → finetune, and baseline), in parallel worker processes
 * when there are several. Then write the report and say where it is.
 */
import path from 'node:path';
import { ArtifactStore } from '../src/artifacts/store.ts';
import { engineId, startBackend } from '../src/backend/start-backend.ts';
import { configFromArgs, parseArgs, runControlFromArgs, type RunControl } from '../src/cli.ts';
import type { PipelineConfig } from '../src/config.ts';
import { loadDatasetSource, sourceFromConfig } from '../src/data/sources.ts';
import { createDownloadProgress } from '../src/data/download-progress.ts';
import { budgetsOf, validateSplitPlan } from '../src/data/split.ts';
import type { StageName } from '../src/jobs/job.ts';
import type { RunParams } from '../src/report/run-record.ts';
import { claimRunDir, newRunId } from '../src/report/run-folder.ts';
import { runCommand } from '../src/util/command.ts';
import { describeEnvironment } from '../src/util/environment.ts';
import { createLogger } from '../src/util/log.ts';
import { executePlan } from './execute.ts';
import { buildPlan, datasetFactsOf, describePlan, planUpTo, reportedJobs } from './plan.ts';
import { loadSplit } from './prepare.ts';
import { collectRunFiles, writeRunReport } from './report.ts';
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

export async function runPipeline(config: PipelineConfig, control: RunControl, options: MainOptions = {}): Promise<void> {
  const startedAt = new Date();
  const log = createLogger(config.quiet);
  const backend = await startBackend(config.backend);
  log.info(`backend: ${backend.name}${backend.skipped.length ? ` (passed over: ${backend.skipped.join('; ')})` : ''}`);

  log.header('prepare');
  const loadStarted = Date.now();
  const source = sourceFromConfig(config);
  const { dataset } = await loadDatasetSource(source, {
    dataRoot: config.cacheDir,
    onProgress: config.quiet ? undefined : createDownloadProgress(),
    onNote: (note) => log.info(note),
  });
  validateSplitPlan(dataset, config.testFraction, budgetsOf(config));
  const facts = datasetFactsOf(dataset);
  log.info(`dataset: ${dataset.name}, ${dataset.y.length} samples, ${facts.features} features, ${facts.classCount} classes (${((Date.now() - loadStarted) / 1000).toFixed(1)} s)`);

  const store = new ArtifactStore(path.resolve(config.cacheDir));
  let jobs = buildPlan(config, facts, engineId(backend.name));
  if (options.untilStage) jobs = planUpTo(jobs, options.untilStage);
  const force = new Set(jobs.filter((job) => control.force.includes(job.stage)).map((job) => job.id));
  if (control.dryRun) {
    describePlan(jobs, store, force).forEach((line) => log.always(line));
    return;
  }

  const records = await executePlan({
    jobs, store, force, parallel: control.jobs, dataset, source, dataRoot: config.cacheDir,
    fingerprint: facts.fingerprint, backend: backend.name, quiet: config.quiet, log,
    executor: control.executor, engine: engineId(backend.name), cacheDir: path.resolve(config.cacheDir),
  });
  if (options.untilStage) {
    log.always(`${options.untilStage}: ${records.filter((r) => r.stage === options.untilStage).length} jobs done; outputs in ${store.root}`);
    return;
  }

  log.header('report');
  const runId = newRunId(startedAt);
  const runDir = config.out || claimRunDir(path.resolve('reports'), runId);
  const split = loadSplit(store, jobs.find((job) => job.stage === 'prepare')!.key);
  const stageSeconds: Record<string, number> = {};
  for (const record of records) stageSeconds[record.stage] = (stageSeconds[record.stage] ?? 0) + record.seconds;
  const params: RunParams = {
    runId,
    createdAt: startedAt.toISOString(),
    config: { ...config } as unknown as Record<string, unknown>,
    environment: describeEnvironment(backend.name),
    dataset: { name: dataset.name, inputShape: dataset.inputShape, classNames: dataset.classNames, poolSize: split.pool.length, testSize: split.test.length, fingerprint: facts.fingerprint },
    stageSeconds,
    totalSeconds: (Date.now() - startedAt.getTime()) / 1000,
  };
  const built = await writeRunReport(runDir, collectRunFiles(store, jobs, reportedJobs(jobs, config), params), records);
  log.info(`\n${built.table}\n\n${built.headline}`);
  log.always(`report written to ${path.relative(process.cwd(), built.htmlPath) || built.htmlPath} (and report.md beside it)`);
}

if (isEntryScript(import.meta.url)) void main(process.argv.slice(2));

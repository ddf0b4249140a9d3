/**
 * The full pipeline: options → plan → jobs → report.
 *
 *   npm run pipeline -- [options]        (npm run pipeline -- --help)
 *
 * Read the options into a config, check the folders it writes to, start the
 * best tfjs backend, load the dataset and check the split, the label budgets
 * and the model's size before anything is written. Plan every
 * job of every stage with the content key of its output; run those not
 * already cached (prepare → pretrain → the arms, and the pictures), in
 * parallel worker processes when there are several. Then export one arm's
 * classifier to <out>/model/ (see export-model.ts), write the report
 * (warning about training that went wrong) and say where it is.
 */
import path from 'node:path';
import { writeFileAtomic } from '../src/artifacts/atomic.ts';
import { configFromArgs, parseArgs, runControlFromArgs, settingSources, type RunControl, type SettingSources } from '../src/cli.ts';
import { PRESETS, type PipelineConfig } from '../src/config.ts';
import type { Job } from '../src/jobs/job.ts';
import type { JobRecord } from '../src/jobs/runner.ts';
import type { RunParams, TuningRecord } from '../src/report/run-record.ts';
import { splitCounts } from '../src/data/split.ts';
import { claimRunDir, newRunId } from '../src/report/run-folder.ts';
import { runCommand } from '../src/util/command.ts';
import { isEntryScript } from '../src/util/entry-script.ts';
import { describeEnvironment } from '../src/util/environment.ts';
import { checkWritableFolder } from '../src/util/folders.ts';
import { displayPath } from '../src/util/user-paths.ts';
import type { StartedRun } from './start-run.ts';

/** Parse argv, run, and exit with the CLI's codes: 0 done, 2 bad input, 1 a bug. */
export async function main(argv: string[]): Promise<void> {
  await runCommand(async () => {
    const args = await parseArgs(argv, 'npm run pipeline --');
    if (args === null) return;
    await runPipeline(configFromArgs(args), runControlFromArgs(args), settingSources(args));
  });
}

export async function runPipeline(config: PipelineConfig, control: RunControl, sources: SettingSources): Promise<void> {
  // The pipeline's machinery loads once the options are read: --help and --version answer without it.
  const [{ planJobs, startRun }, { PIPELINE_STAGES }, { describeRunPlan, executePlan }] = await Promise.all([
    import('./start-run.ts'), import('./registry.ts'), import('./execute.ts'),
  ]);
  const startedAt = new Date();
  if (!control.dryRun) checkReportFolder(config);
  const run = await startRun(config, control);
  const jobs = planJobs(run, PIPELINE_STAGES);
  if (control.dryRun) {
    describeRunPlan(run, jobs, PIPELINE_STAGES, control).forEach((line) => run.log.always(line));
    return;
  }
  const records = await executePlan(run, jobs, PIPELINE_STAGES, control);
  await reportRun(run, jobs, records, { startedAt, sources });
}

/** What a run's report records besides its jobs: when it started, how its settings were chosen, and what tuning kept. */
export interface RunRecordExtras {
  startedAt: Date;
  sources: SettingSources;
  tuning?: TuningRecord;
  /** Files to write into the run folder before the report is built (tuning.csv). */
  files?: Record<string, string>;
}

/** The default reports/ is checked before any training, not after it (an explicit --out was checked with the options). */
export function checkReportFolder(config: PipelineConfig): void {
  if (!config.out) checkWritableFolder('the report folder reports/ (the default of --out)', path.resolve('reports'));
}

/** Write the run's files and report into its folder, say where it is, and warn about training that went wrong. */
export async function reportRun(run: StartedRun, jobs: readonly Job[], records: JobRecord[], extras: RunRecordExtras): Promise<void> {
  const [{ exportModel }, { readSplit }, { collectRunFiles, writeRunReport }] = await Promise.all([
    import('./export-model.ts'), import('./prepare.ts'), import('./report.ts'),
  ]);
  const { config, log, dataset } = run;
  log.header('report');
  const runId = newRunId(extras.startedAt);
  const runDir = config.out || claimRunDir(path.resolve('reports'), runId);
  const split = readSplit(run, jobs.find((job) => job.arm !== undefined)!);
  const stageSeconds: Record<string, number> = {};
  for (const record of records) stageSeconds[record.stage] = (stageSeconds[record.stage] ?? 0) + record.seconds;
  const { preset, selection } = extras.sources;
  const params: RunParams = {
    runId,
    createdAt: extras.startedAt.toISOString(),
    config: { ...config } as unknown as Record<string, unknown>,
    preset: preset === null ? null : { name: preset, chosenOn: PRESETS[preset].chosenOn, ...(PRESETS[preset].stillFromTest ? { stillFromTest: PRESETS[preset].stillFromTest } : {}) },
    selection,
    ...(extras.tuning ? { tuning: extras.tuning } : {}),
    environment: describeEnvironment(run.backend),
    dataset: { name: dataset.name, inputShape: dataset.inputShape, classNames: dataset.classNames, poolSize: split.pool.length, testSize: split.test.length, ...splitCounts(dataset, split), fingerprint: run.facts.fingerprint },
    stageSeconds,
    totalSeconds: (Date.now() - extras.startedAt.getTime()) / 1000,
  };
  const built = await writeRunReport(runDir, run.store, () => collectRunFiles(run.store, jobs, params), records, async (staging) => {
    params.exportedModel = await exportModel(run, jobs, staging);
    for (const [name, text] of Object.entries(extras.files ?? {})) await writeFileAtomic(path.join(staging, name), text);
  });
  const exported = params.exportedModel!;
  log.info(`model: the ${exported.arm} classifier (seed ${exported.seed}, ${exported.labeled} labels, test accuracy ${(100 * exported.testAccuracy).toFixed(1)} %) exported to ${displayPath(path.join(runDir, exported.folder))}`);
  log.info(`\n${built.table}\n\n${built.headline}`);
  for (const warning of built.warnings) log.warn(warning);
  log.always(`report written to ${displayPath(built.htmlPath)} (and report.md beside it)`);
}

if (isEntryScript(import.meta.url)) void main(process.argv.slice(2));

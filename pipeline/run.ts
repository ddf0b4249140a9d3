/**
 * The full pipeline: options → plan → jobs → report.
 *
 *   npm run pipeline -- [options]        (npm run pipeline -- --help)
 *
 * Read the options into a config, start the best tfjs backend, load the
 * dataset and check the label budgets before anything is written. Plan every
 * job of every stage with the content key of its output; run those not
 * already cached (prepare → pretrain → the arms, and the pictures), in
 * parallel worker processes when there are several. Then write the report
 * and say where it is.
 */
import path from 'node:path';
import { configFromArgs, parseArgs, runControlFromArgs, type RunControl } from '../src/cli.ts';
import type { PipelineConfig } from '../src/config.ts';
import type { RunParams } from '../src/report/run-record.ts';
import { claimRunDir, newRunId } from '../src/report/run-folder.ts';
import { runCommand } from '../src/util/command.ts';
import { isEntryScript } from '../src/util/entry-script.ts';
import { describeEnvironment } from '../src/util/environment.ts';
import { describeRunPlan, executePlan } from './execute.ts';
import { readSplit } from './prepare.ts';
import { PIPELINE_STAGES } from './registry.ts';
import { collectRunFiles, writeRunReport } from './report.ts';
import { planJobs, startRun } from './start-run.ts';

/** Parse argv, run, and exit with the CLI's codes: 0 done, 2 bad input, 1 a bug. */
export async function main(argv: string[]): Promise<void> {
  await runCommand(async () => {
    const args = await parseArgs(argv, 'npm run pipeline --');
    if (args === null) return;
    await runPipeline(configFromArgs(args), runControlFromArgs(args));
  });
}

export async function runPipeline(config: PipelineConfig, control: RunControl): Promise<void> {
  const startedAt = new Date();
  const run = await startRun(config);
  const { log, store, dataset } = run;
  const jobs = planJobs(run, PIPELINE_STAGES);
  if (control.dryRun) {
    describeRunPlan(run, jobs, PIPELINE_STAGES, control).forEach((line) => log.always(line));
    return;
  }
  const records = await executePlan(run, jobs, PIPELINE_STAGES, control);

  log.header('report');
  const runId = newRunId(startedAt);
  const runDir = config.out || claimRunDir(path.resolve('reports'), runId);
  const split = readSplit(run, jobs.find((job) => job.arm !== undefined)!);
  const stageSeconds: Record<string, number> = {};
  for (const record of records) stageSeconds[record.stage] = (stageSeconds[record.stage] ?? 0) + record.seconds;
  const params: RunParams = {
    runId,
    createdAt: startedAt.toISOString(),
    config: { ...config } as unknown as Record<string, unknown>,
    environment: describeEnvironment(run.backend),
    dataset: { name: dataset.name, inputShape: dataset.inputShape, classNames: dataset.classNames, poolSize: split.pool.length, testSize: split.test.length, fingerprint: run.facts.fingerprint },
    stageSeconds,
    totalSeconds: (Date.now() - startedAt.getTime()) / 1000,
  };
  const built = await writeRunReport(runDir, collectRunFiles(store, jobs, params), records);
  log.info(`\n${built.table}\n\n${built.headline}`);
  log.always(`report written to ${path.relative(process.cwd(), built.htmlPath) || built.htmlPath} (and report.md beside it)`);
}

if (isEntryScript(import.meta.url)) void main(process.argv.slice(2));

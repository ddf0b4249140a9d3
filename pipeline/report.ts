/**
 * Stage 5 — report. Write a run's files (results.csv, params.json, curves,
 * confusion matrices, pictures, and the record of which jobs ran), then build
 * the report from those files alone: summary.csv, report.md, report.html and
 * their figures. Run directly, it rebuilds a report without training:
 *   npm run report -- reports/<run>     (default: the newest run under reports/)
 */
import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { UserError } from '../src/errors.ts';
import { runCommand } from '../src/util/command.ts';
import { writeFileAtomic } from '../src/artifacts/atomic.ts';
import type { JobRecord } from '../src/jobs/runner.ts';
import { buildReport, type BuiltReport } from '../src/report/build-report.ts';
import { writeRunFiles, type RunFiles } from '../src/report/run-files.ts';
import { isEntryScript } from '../src/util/entry-script.ts';
import path from 'node:path';
import type { ArtifactStore } from '../src/artifacts/store.ts';
import type { ArmName } from '../src/arms/index.ts';
import type { Job } from '../src/jobs/job.ts';
import type { RunParams, RunPictures } from '../src/report/run-record.ts';
import type { EpochLog, TrainingCurve } from '../src/train/curves.ts';
import type { ClassifierScore } from './classifier-stage.ts';
import { picturesStage } from './pictures.ts';
import { pretrainStage } from './pretrain.ts';
import { latestRunDir } from '../src/report/index-page.ts';

/** Gather a finished run's files from the artifact store: every arm job's result, curve and confusion matrix, the encoders' curves, and the pictures. */
export function collectRunFiles(store: ArtifactStore, jobs: readonly Job[], params: RunParams): RunFiles {
  const armJobs = jobs.filter((job): job is Job & { arm: ArmName } => job.arm !== undefined);
  const scored = armJobs.map((job) => ({ job, score: store.readJson<ClassifierScore>(job.stage, job.key, 'score.json') }));
  const pretrainJobs = jobs.filter((job) => job.stage === pretrainStage.name);
  const picturesJob = jobs.find((job) => job.stage === picturesStage.name);
  return {
    rows: scored.map(({ job, score }) => ({
      // A cached result keeps no dataset name: the same data may have been loaded under another name.
      dataset: params.dataset.name,
      seed: job.seed,
      fraction: score.fraction,
      labeled: score.labeled,
      arm: job.arm,
      accuracy: score.accuracy,
      macroF1: score.macroF1,
      epochs: score.epochs,
      trainSeconds: score.trainSeconds,
      backend: score.backend,
    })),
    params,
    curves: [
      ...pretrainJobs.map((job) => store.readJson<TrainingCurve>(job.stage, job.key, 'curve.json')),
      ...scored.map(({ job, score }) => ({ seed: job.seed, model: job.arm, fraction: score.fraction, epochs: store.readJson<EpochLog[]>(job.stage, job.key, 'curve.json') })),
    ],
    confusions: scored.map(({ job, score }) => ({ seed: job.seed, fraction: score.fraction, arm: job.arm, matrix: score.confusion })),
    pictures: picturesJob ? store.readJson<RunPictures>(picturesJob.stage, picturesJob.key, 'pictures.json') : undefined,
  };
}

/** Write a finished run's files into `runDir` and build its report there. */
export async function writeRunReport(runDir: string, files: RunFiles, jobs: JobRecord[]): Promise<BuiltReport> {
  await writeRunFiles(runDir, files);
  await writeFileAtomic(path.join(runDir, 'jobs.json'), `${JSON.stringify(jobs, null, 2)}\n`);
  return buildReport(runDir);
}

async function main(): Promise<void> {
  const argv = await yargs(hideBin(process.argv))
    .scriptName('npm run report --')
    .command('$0 [run-folder]', 'Rebuild report.html, report.md, summary.csv and the figures of a finished run from its files.', (y) =>
      y.positional('run-folder', { type: 'string', describe: 'a run folder (holds results.csv, params.json, …); default: the newest under --reports-root' }))
    .option('reports-root', { type: 'string', default: 'reports', describe: 'folder of run folders whose index.html and LATEST to refresh' })
    .option('index', { type: 'boolean', default: true, describe: 'refresh the reports index (--no-index: leave it alone)' })
    .example('$0', 'rebuild the newest run under reports/')
    .example('$0 reports/2025-01-02T03-04-05', 'rebuild one run')
    .strict()
    .help()
    .fail((message, error) => { throw error ?? new UserError(`${message}. See --help.`); })
    .parseAsync();
  const root = argv.reportsRoot;
  const runDir = (argv.runFolder as string | undefined) ?? (await latestRunDir(root));
  if (!runDir) throw new UserError(`no run folder given and none found under ${root}/: run the pipeline first, or pass a run folder`);
  const built = await buildReport(runDir, argv.index ? {} : { reportsRoot: false });
  console.log(built.headline);
  console.log('');
  console.log(built.table);
  console.log('');
  console.log(`report written to ${built.htmlPath} (and ${built.mdPath})`);
}

if (isEntryScript(import.meta.url)) void runCommand(main);

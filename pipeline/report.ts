/**
 * Stage 5 — report. Write a run's files (results.csv, params.json, curves,
 * confusion matrices, pictures, and the record of which jobs ran), then build
 * the report from those files alone: summary.csv, report.md, report.html and
 * their figures. Run directly, it rebuilds a report without training:
 *   npm run report -- reports/<run>     (default: the newest run under reports/)
 */
import yargs from '#yargs';
import { UserError } from '../src/errors.ts';
import { runCommand } from '../src/util/command.ts';
import { rejectSwitchValues, switchesOf } from '../src/util/switches.ts';
import { writeFileAtomic } from '../src/artifacts/atomic.ts';
import type { JobRecord } from '../src/jobs/runner.ts';
import { buildReport, type BuiltReport } from '../src/report/build-report.ts';
import { writeRunFiles, type RunFiles } from '../src/report/run-files.ts';
import { JOBS_FILE } from '../src/report/run-folder.ts';
import { isEntryScript } from '../src/util/entry-script.ts';
import fs from 'node:fs';
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
import { displayPath, userPath } from '../src/util/user-paths.ts';

/** Gather a finished run's files from the artifact store: every arm job's result, curve and confusion matrix, the encoders' curves, and the pictures. */
export function collectRunFiles(store: ArtifactStore, jobs: readonly Job[], params: RunParams): RunFiles {
  const armJobs = jobs.filter((job): job is Job & { arm: ArmName } => job.arm !== undefined);
  const scored = armJobs.map((job) => {
    const score = store.readJson<ClassifierScore>(job.stage, job.key, 'score.json');
    if (!score.test) throw new Error(`${job.id}: its output has no test score (a tuning trial filed as an arm job?)`);
    return { job, score, test: score.test };
  });
  const pretrainJobs = jobs.filter((job) => job.stage === pretrainStage.name);
  const picturesJob = jobs.find((job) => job.stage === picturesStage.name);
  return {
    rows: scored.map(({ job, score, test }) => ({
      // A cached result keeps no dataset name: the same data may have been loaded under another name.
      dataset: params.dataset.name,
      seed: job.seed,
      fraction: score.fraction,
      labeled: score.labeled,
      arm: job.arm,
      accuracy: test.accuracy,
      macroF1: test.macroF1,
      valAccuracy: score.valAccuracy ?? NaN,
      epochs: score.epochs,
      trainSeconds: score.trainSeconds,
      backend: score.backend,
    })),
    params,
    curves: [
      ...pretrainJobs.map((job) => store.readJson<TrainingCurve>(job.stage, job.key, 'curve.json')),
      ...scored.map(({ job, score }) => ({ seed: job.seed, model: job.arm, fraction: score.fraction, epochs: store.readJson<EpochLog[]>(job.stage, job.key, 'curve.json') })),
    ],
    confusions: scored.map(({ job, score, test }) => ({ seed: job.seed, fraction: score.fraction, arm: job.arm, matrix: test.confusion })),
    pictures: picturesJob ? store.readJson<RunPictures>(picturesJob.stage, picturesJob.key, 'pictures.json') : undefined,
  };
}

/**
 * Write a finished run's files and its report into `runDir`, as a whole (an earlier run there is replaced
 * only once the new one is complete). `writeMore` adds the run's other inputs (the exported model,
 * tuning.csv) to the new folder first; the files are gathered after it.
 */
export async function writeRunReport(runDir: string, store: ArtifactStore, files: () => RunFiles, jobs: JobRecord[], writeMore: (staging: string) => Promise<void> = async () => undefined): Promise<BuiltReport> {
  return buildReport(runDir, {
    charts: store,
    writeInputs: async (staging) => {
      await writeMore(staging);
      await writeRunFiles(staging, files());
      await writeFileAtomic(path.join(staging, JOBS_FILE), `${JSON.stringify(jobs, null, 2)}\n`);
    },
  });
}

async function main(): Promise<void> {
  const typed = process.argv.slice(2);
  const parser = yargs(typed)
    .scriptName('npm run report --')
    .command('$0 [run-folder]', 'Rebuild report.html, report.md, summary.csv and the figures of a finished run from its files.', (y) =>
      y.positional('run-folder', { type: 'string', describe: 'a run folder (holds results.csv, params.json, …); default: the newest under --reports-root' }))
    .option('reports-root', { type: 'string', describe: 'folder of run folders whose index.html and LATEST to refresh', defaultDescription: 'reports' })
    .option('index', { type: 'boolean', default: true, describe: 'refresh the reports index (--no-index: leave it alone)' })
    .example('$0', 'rebuild the newest run under reports/')
    .example('$0 reports/2025-01-02T03-04-05', 'rebuild one run')
    .strict()
    .help()
    .fail((message, error) => { throw error ?? new UserError(`${message}. See --help.`); });
  rejectSwitchValues(typed, switchesOf(parser));
  const argv = await parser.parseAsync();
  const given = (name: string, value: unknown): string | undefined => {
    if (value === undefined) return undefined;
    if (Array.isArray(value)) throw new UserError(`${name} was given more than once: give it once.`);
    if (String(value).trim() === '') throw new UserError(`${name} is empty: give a folder path.`);
    return userPath(String(value));
  };
  // The default reports/ is the project's; a folder the user types is relative to where they typed it.
  const root = given('--reports-root', argv.reportsRoot) ?? path.resolve('reports');
  const runDir = given('the run folder', argv.runFolder) ?? (await latestRunDir(root));
  if (!runDir) throw new UserError(`no run folder given and none found under ${displayPath(root)}/: run the pipeline first, or pass a run folder`);
  if (fs.existsSync(runDir) && !fs.statSync(runDir).isDirectory()) {
    throw new UserError(`${displayPath(runDir)} is a file, not a run folder: pass the folder a run printed at its end (e.g. reports/<run>).`);
  }
  const built = await buildReport(runDir, argv.index ? {} : { reportsRoot: false });
  for (const warning of built.warnings) console.log(`warning: ${warning}`);
  console.log(built.headline);
  console.log('');
  console.log(built.table);
  console.log('');
  console.log(`report written to ${displayPath(built.htmlPath)} (and ${displayPath(built.mdPath)})`);
}

if (isEntryScript(import.meta.url)) void runCommand(main);

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
import { rejectSwitchValues, switchesOf } from '../src/util/switches.ts';
import { writeFileAtomic } from '../src/artifacts/atomic.ts';
import type { JobRecord } from '../src/jobs/runner.ts';
import { buildReport, type BuiltReport } from '../src/report/build-report.ts';
import { writeRunFiles, type RunFiles } from '../src/report/run-files.ts';
import { JOBS_FILE } from '../src/report/run-folder.ts';
import { isEntryScript } from './stage-main.ts';
import fs from 'node:fs';
import path from 'node:path';
import type { ArtifactStore } from '../src/artifacts/store.ts';
import type { ClassifierJob, Job } from '../src/jobs/job.ts';
import type { RunParams, RunPictures, TrainingCurve } from '../src/report/run-record.ts';
import type { ClassifierOutcome } from '../src/train/train-classifier.ts';
import { latestRunDir } from '../src/report/index-page.ts';
import { displayPath, userPath } from '../src/util/user-paths.ts';

/** Gather a finished run's files from the artifact store: the reported classifiers' results, curves and confusion, the encoders' curves, and the first seed's pictures. */
export function collectRunFiles(store: ArtifactStore, jobs: Job[], reported: ClassifierJob[], params: RunParams): RunFiles {
  const outcomes = reported.map((job) => store.readJson<ClassifierOutcome>(job.stage, job.key, 'result.json'));
  const pretrainJobs = jobs.filter((job) => job.stage === 'pretrain');
  const first = pretrainJobs[0];
  const hasPictures = first !== undefined && fs.existsSync(path.join(store.entryDir('pretrain', first.key), 'pictures.json'));
  return {
    // A cached result keeps the name the dataset had when it was computed; the same data may have been loaded under another name.
    rows: outcomes.map((o) => ({ ...o.row, dataset: params.dataset.name })),
    params,
    curves: [
      ...pretrainJobs.map((job) => store.readJson<TrainingCurve>('pretrain', job.key, 'curve.json')),
      ...outcomes.map((o) => o.curve),
    ],
    confusions: outcomes.map((o) => o.confusion),
    pictures: hasPictures ? store.readJson<RunPictures>('pretrain', first.key, 'pictures.json') : undefined,
  };
}

/** Write a finished run's files and its report into `runDir`, as a whole (an earlier run there is replaced only once the new one is complete). */
export async function writeRunReport(runDir: string, files: RunFiles, jobs: JobRecord[]): Promise<BuiltReport> {
  return buildReport(runDir, {
    writeInputs: async (staging) => {
      await writeRunFiles(staging, files);
      await writeFileAtomic(path.join(staging, JOBS_FILE), `${JSON.stringify(jobs, null, 2)}\n`);
    },
  });
}

async function main(): Promise<void> {
  const typed = hideBin(process.argv);
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

/**
 * Classify new inputs with a run's exported model.
 *
 *   npm run predict -- --model reports/<run>/model photo.jpg more-photos/     (images, or folders of them)
 *   npm run predict -- --model reports/<run>/model new-rows.csv --top 3        (a CSV of feature rows)
 *
 * Read the model folder (the network, its class names, how inputs are prepared), turn every input
 * into a row exactly as the training data were (src/predict/inputs.ts), predict them in batches,
 * and print one CSV line per input: file,label,probability (row,… for CSV rows), or write them to
 * --out. An input that cannot be used gets one line on stderr; the others are still predicted, and
 * the exit code is then 2.
 */
import path from 'node:path';
import yargs from '#yargs';
import { writeFileAtomic } from '../src/artifacts/atomic.ts';
import { startBackend } from '../src/backend/start-backend.ts';
import { BACKEND_CHOICES, type BackendChoice } from '../src/config.ts';
import { UserError, USER_ERROR_EXIT_CODE } from '../src/errors.ts';
import { readExportedModel } from '../src/export/exported-model.ts';
import { expandInputs, prepareImages, prepareTableRows } from '../src/predict/inputs.ts';
import { predictionsCsv } from '../src/predict/output.ts';
import { predictRows } from '../src/train/fit.ts';
import { runCommand } from '../src/util/command.ts';
import { isEntryScript } from '../src/util/entry-script.ts';

interface PredictOptions {
  model: string;
  inputs: string[];
  top: number;
  out?: string;
  quiet: boolean;
  backend: BackendChoice;
}

async function parseOptions(argv: string[]): Promise<PredictOptions> {
  const args = await yargs(argv)
    .scriptName('npm run predict --')
    .usage('$0 --model DIR FILES…\n\nClassify images (or CSV rows of features) with the model a pipeline run exported to <run>/model.')
    .option('model', { type: 'string', describe: 'The model folder of a run (reports/<run>/model)', demandOption: 'give --model DIR: the model/ folder of a run' })
    .option('top', { type: 'string', default: '1', describe: 'Print the K most probable classes of each input' })
    .option('out', { type: 'string', describe: 'Write the CSV to this file instead of printing it' })
    .option('quiet', { type: 'boolean', default: false, describe: 'Print only the CSV (and one line per input that cannot be used)' })
    .option('backend', { type: 'string', default: 'auto', describe: `tfjs backend: ${BACKEND_CHOICES.join(' | ')}` })
    .example('$0 --model reports/LATEST-RUN/model photos/*.jpg', 'one line per photo: file,label,probability')
    .example('$0 --model m new-rows.csv --top 3 --out predictions.csv', 'CSV rows, the three best classes each, written to a file')
    .strictOptions()
    .help()
    .fail((message, error) => { throw error ?? new UserError(`${message}. See --help.`); })
    .parseAsync();
  const inputs = args._.map(String);
  if (inputs.length === 0) throw new UserError('no inputs: give image files, folders of images, or CSV files after --model DIR.');
  const top = Number(args.top);
  if (!Number.isInteger(top) || top < 1) throw new UserError(`--top ${args.top} is not a whole number ≥ 1: give how many classes to list per input, e.g. 3.`);
  if (!(BACKEND_CHOICES as string[]).includes(args.backend)) throw new UserError(`--backend ${args.backend} is unknown: use one of ${BACKEND_CHOICES.join(', ')}.`);
  return { model: args.model, inputs, top, ...(args.out ? { out: args.out } : {}), quiet: args.quiet, backend: args.backend as BackendChoice };
}

export async function predict(options: PredictOptions): Promise<void> {
  const say = (line: string) => { if (!options.quiet) process.stderr.write(`${line}\n`); };
  await startBackend(options.backend);
  const { model, labels, preprocessing, about } = await readExportedModel(options.model);
  say(`model: the ${about.arm} classifier of ${about.dataset} (${about.labeled} labels, test accuracy ${(100 * about.testAccuracy).toFixed(1)} %), classes ${labels.join(', ')}`);
  const { files, problems: pathProblems } = expandInputs(options.inputs, preprocessing);
  const prepared = preprocessing.kind === 'image' ? await prepareImages(files, preprocessing) : await prepareTableRows(files, preprocessing);
  const problems = [...pathProblems, ...prepared.problems];
  for (const problem of problems) process.stderr.write(`error: ${problem}\n`);
  const count = prepared.names.length;
  const probabilities = await predictRows(model, prepared.rows, preprocessing.features, Int32Array.from({ length: count }, (_, i) => i));
  model.dispose();
  const csv = predictionsCsv(prepared.nameColumn, prepared.names, probabilities, labels, options.top);
  if (options.out) {
    await writeFileAtomic(options.out, csv);
    say(`predictions written to ${path.relative(process.cwd(), path.resolve(options.out)) || options.out}`);
  } else {
    process.stdout.write(csv);
  }
  const unit = prepared.nameColumn === 'file' ? 'image' : 'row';
  say(`predicted ${count} ${unit}${count === 1 ? '' : 's'}${problems.length > 0 ? `; ${problems.length} input${problems.length === 1 ? '' : 's'} could not be used (above)` : ''}`);
  if (problems.length > 0) process.exitCode = USER_ERROR_EXIT_CODE;
}

if (isEntryScript(import.meta.url)) void runCommand(async () => predict(await parseOptions(process.argv.slice(2))));

/**
 * npm run job -- --request FILE --cache-dir DIR [--backend B]
 *
 * Run one job of a plan in this process and commit its output to the cache:
 * the per-job entry point the Slurm executor's sbatch scripts call on a
 * compute node. Beside the request it leaves the job's latest epoch (for the
 * coordinator's progress bars) and how it ended (for its messages); the exit
 * code says the same: 0 done, 2 bad input, 1 a bug.
 */
import os from 'node:os';
import path from 'node:path';
import fs from 'node:fs';
import yargs from '#yargs';
import { writeFileAtomic } from '../src/artifacts/atomic.ts';
import { parseChoice } from '../src/util/option-values.ts';
import { BACKEND_CHOICES } from '../src/config.ts';
import { UserError } from '../src/errors.ts';
import { failureRecord } from '../src/executors/remote-failure.ts';
import { slurmJobFiles, type JobOutcome, type JobProgressFile, type JobTiming } from '../src/executors/slurm.ts';
import { startJobWorker } from '../src/jobs/job-worker.ts';
import type { JobRequest } from '../src/jobs/worker-protocol.ts';
import { runCommand } from '../src/util/command.ts';
import { isEntryScript } from '../src/util/entry-script.ts';
import { PIPELINE_STAGES } from './registry.ts';

/** The coordinator polls about once a second; writing more often than this is wasted I/O on a shared disk. */
const PROGRESS_EVERY_MS = 1000;

async function main(): Promise<void> {
  const args = await yargs(process.argv.slice(2))
    .scriptName('npm run job --')
    .usage('$0 --request FILE --cache-dir DIR\n\nRun one job written by a coordinator (--executor slurm) and store its output.')
    .option('request', { type: 'string', demandOption: true, describe: 'The job\'s request file (in the run\'s folder of the shared cache)' })
    .option('cache-dir', { type: 'string', default: 'data', describe: 'This node\'s path of the shared cache folder' })
    .option('backend', { type: 'string', default: 'auto', describe: `tfjs backend: ${BACKEND_CHOICES.join(' | ')}` })
    .strict()
    .help()
    .fail((message, error) => { throw error ?? new UserError(`${message}. See --help.`); })
    .parseAsync();
  const backend = parseChoice('backend', args.backend, BACKEND_CHOICES);
  const files = slurmJobFiles(path.resolve(args.request));
  let request: JobRequest;
  try {
    request = JSON.parse(fs.readFileSync(files.request, 'utf8')) as JobRequest;
  } catch (error) {
    throw new UserError(`--request ${args.request}: cannot read the job (${(error as NodeJS.ErrnoException).code ?? (error as Error).message}); give a request file a coordinator wrote`);
  }
  const node = os.hostname();
  // performance.timeOrigin is when this process started (so the coordinator can tell Slurm's wait
  // from ours); later moments count from it on the monotonic clock, which no clock step moves.
  const startedAt = performance.timeOrigin;
  let readyAt = startedAt;
  const timing = (): JobTiming => ({ startedAt, readyAt, endedAt: startedAt + performance.now() });
  let last = 0;
  try {
    const worker = await startJobWorker({ stages: PIPELINE_STAGES, cacheDir: path.resolve(args.cacheDir), backend });
    readyAt = startedAt + performance.now();
    const { leaked } = await worker.run(request, (log, total) => {
      const now = Date.now();
      if (now - last < PROGRESS_EVERY_MS) return;
      last = now;
      const progress: JobProgressFile = { log, total };
      void writeFileAtomic(files.progress, JSON.stringify(progress));
    });
    await writeOutcome(files.outcome, { ok: true, leaked, node, timing: timing() });
  } catch (error) {
    await writeOutcome(files.outcome, { ok: false, ...failureRecord(error), node, timing: timing() });
    throw error;
  }
}

async function writeOutcome(file: string, outcome: JobOutcome): Promise<void> {
  await writeFileAtomic(file, JSON.stringify(outcome));
}

if (isEntryScript(import.meta.url)) void runCommand(main);

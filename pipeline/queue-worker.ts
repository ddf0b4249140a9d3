/**
 * npm run worker -- --queue redis://HOST:PORT [--cache-dir DIR] [--concurrency N] [--backend B]
 *
 * A BullMQ worker for coordinators run with --executor bullmq: it takes jobs
 * off the queue, N at a time, each in a child process with this machine's own
 * backend, and writes outputs into --cache-dir (the folder every machine
 * shares). Ctrl-C finishes the running jobs and stops; a second Ctrl-C stops
 * at once (the jobs then run again on another worker).
 */
import { fileURLToPath } from 'node:url';
import os from 'node:os';
import path from 'node:path';
import yargs from '#yargs';
import { parseChoice, parseInteger } from '../src/util/option-values.ts';
import { BACKEND_CHOICES } from '../src/config.ts';
import { UserError } from '../src/errors.ts';
import { connectQueue } from '../src/executors/bullmq-queue.ts';
import { startQueueWorker } from '../src/executors/bullmq-worker.ts';
import { runCommand } from '../src/util/command.ts';
import { checkWritableFolder } from '../src/util/folders.ts';
import { createLogger } from '../src/util/log.ts';
import { isEntryScript } from '../src/util/entry-script.ts';
import { userPath } from '../src/util/user-paths.ts';

async function main(): Promise<void> {
  const args = await yargs(process.argv.slice(2))
    .scriptName('npm run worker --')
    .usage('$0 --queue redis://HOST:PORT [options]\n\nTake semisup jobs off a BullMQ queue (coordinators run with --executor bullmq) and run them here.')
    .option('queue', { type: 'string', describe: 'The Redis server holding the queue, redis://HOST:PORT (as given to the coordinator)' })
    .option('cache-dir', { type: 'string', describe: 'This machine\'s path of the cache folder every machine shares', defaultDescription: 'data' })
    .option('concurrency', { type: 'string', describe: 'Jobs run at once, each in its own process', defaultDescription: 'number of cores' })
    .option('backend', { type: 'string', default: 'auto', describe: `tfjs backend: ${BACKEND_CHOICES.join(' | ')} (must be the coordinator's: the engine is part of every job)` })
    .example('$0 --queue redis://10.0.0.5:6379 --cache-dir /mnt/shared/semisup-data', 'a worker using both cores of this machine')
    .strict()
    .help()
    .fail((message, error) => { throw error ?? new UserError(`${message}. See --help.`); })
    .parseAsync();
  if (args.queue === undefined) throw new UserError('--queue is missing: give the Redis server the coordinator uses, e.g. --queue redis://10.0.0.5:6379.');
  const concurrency = args.concurrency === undefined ? os.availableParallelism() : parseInteger('concurrency', args.concurrency, 1, 64);
  const backend = parseChoice('backend', args.backend, BACKEND_CHOICES);
  // As the coordinator reads it: a typed path from the folder it was typed in, the default data/ in this checkout.
  const cacheDir = args.cacheDir === undefined ? path.resolve('data') : userPath(args.cacheDir);
  checkWritableFolder(args.cacheDir === undefined ? 'the cache folder data/ (the default of --cache-dir)' : `--cache-dir ${args.cacheDir}`, cacheDir);
  const { url } = await connectQueue(args.queue);
  const log = createLogger(false);
  const worker = await startQueueWorker({
    url,
    concurrency,
    // queue-job.ts, or queue-job.js beside this file's compiled copy.
    processorFile: fileURLToPath(new URL(`./queue-job${path.extname(import.meta.url)}`, import.meta.url)),
    cacheDir,
    backend,
    log,
  });
  let stopping = false;
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.on(signal, () => {
      if (stopping) process.exit(130);
      stopping = true;
      log.info(`${signal}: finishing the running jobs, then stopping (again to stop now; they then run on another worker)`);
      void worker.close().then(() => process.exit(0));
    });
  }
}

if (isEntryScript(import.meta.url)) void runCommand(main);

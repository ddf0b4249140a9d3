/**
 * A local job worker process (started by the pipeline for --jobs > 1). It
 * takes its cache folder and backend from its own options, starts the
 * backend once, then runs each job it is sent and stores its output,
 * reporting epochs back for the progress display.
 *
 *   (forked by the pipeline) pipeline/worker.ts --cache-dir DIR --backend wasm
 */
import { parseArgs } from 'node:util';
import type { BackendChoice } from '../src/config.ts';
import { UserError } from '../src/errors.ts';
import { startJobWorker, type JobWorker } from '../src/jobs/job-worker.ts';
import type { FromWorker, ToWorker } from '../src/jobs/worker-protocol.ts';
import { PIPELINE_STAGES } from './registry.ts';

const send = (message: FromWorker): void => { process.send?.(message); };

function failure(error: unknown, jobId?: string): FromWorker {
  const err = error instanceof Error ? error : new Error(String(error));
  return { type: 'failed', jobId, message: err.message, stack: err.stack, userError: error instanceof UserError };
}

// The parent going away (a crash, or its Ctrl-C handling) ends the worker too.
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches every process of the terminal's group; the main process decides (it reports the
// interruption and stops the workers), so a worker must not die on its own and look like a failure.
process.on('SIGINT', () => undefined);

const { values } = parseArgs({ options: { 'cache-dir': { type: 'string' }, backend: { type: 'string', default: 'auto' } } });
let worker: Promise<JobWorker> | undefined;
try {
  if (!values['cache-dir']) throw new Error('pipeline/worker.ts needs --cache-dir DIR');
  worker = startJobWorker({ stages: PIPELINE_STAGES, cacheDir: values['cache-dir'], backend: values.backend as BackendChoice });
  const started = await worker;
  send({ type: 'ready', backend: started.backend, engine: started.engine });
} catch (error) {
  send(failure(error));
}

process.on('message', (message: ToWorker) => {
  void (async () => {
    const { job } = message.request;
    try {
      if (!worker) throw new Error('job sent to a worker that failed to start');
      const { leaked } = await (await worker).run(message.request, (log, total) => send({ type: 'epoch', jobId: job.id, log, total }));
      if (leaked !== 0) send({ type: 'leaked', jobId: job.id, tensors: leaked });
      send({ type: 'done', jobId: job.id });
    } catch (error) {
      send(failure(error, job.id));
    }
  })();
});

/**
 * A job worker process (started by run.ts for --jobs > 1): load the dataset
 * and start the backend once, then run each job it is sent and store its
 * output, reporting epochs back for the progress display.
 */
import { ArtifactStore } from '../src/artifacts/store.ts';
import { startBackend } from '../src/backend/start-backend.ts';
import { datasetFingerprint } from '../src/data/cache.ts';
import { loadDatasetSource } from '../src/data/sources.ts';
import { UserError } from '../src/errors.ts';
import { asFileSystemUserError } from '../src/util/folders.ts';
import type { StageContext } from '../src/jobs/context.ts';
import type { FromWorker, ToWorker } from '../src/jobs/worker-protocol.ts';
import { executeJobCounted } from './stages.ts';

const send = (message: FromWorker): void => { process.send?.(message); };

function failure(thrown: unknown, jobId?: string): FromWorker {
  // A full disk or a read-only folder is the user's to fix, in a worker as in the main process.
  const error = asFileSystemUserError(thrown);
  const err = error instanceof Error ? error : new Error(String(error));
  return { type: 'failed', jobId, message: err.message, stack: err.stack, userError: error instanceof UserError };
}

let context: StageContext | undefined;

process.on('message', (message: ToWorker) => {
  void (async () => {
    if (message.type === 'init') {
      try {
        const backend = await startBackend(message.backend);
        const { dataset } = await loadDatasetSource(message.source, { dataRoot: message.dataRoot });
        if (datasetFingerprint(dataset) !== message.fingerprint) throw new Error('the worker loaded different data than the main process (did the dataset files change during the run?)');
        context = { store: new ArtifactStore(message.storeRoot), dataset, backend: backend.name, onEpoch: () => undefined };
        send({ type: 'ready', backend: backend.name });
      } catch (error) {
        send(failure(error));
      }
      return;
    }
    const { job } = message;
    try {
      if (!context) throw new Error('job sent before the worker was initialised');
      const { files, leaked } = await executeJobCounted(job, { ...context, onEpoch: (log, total) => send({ type: 'epoch', jobId: job.id, log, total }) });
      context.store.write(job.stage, job.key, files, { replace: message.replace });
      if (leaked !== 0) send({ type: 'leaked', jobId: job.id, tensors: leaked });
      send({ type: 'done', jobId: job.id });
    } catch (error) {
      send(failure(error, job.id));
    }
  })();
});

// The parent going away (a crash, or its Ctrl-C handling) ends the worker too.
process.on('disconnect', () => process.exit(0));
// Ctrl-C reaches every process of the terminal's group; the main process decides (it reports the
// interruption and stops the workers), so a worker must not die on its own and look like a failure.
process.on('SIGINT', () => undefined);

/**
 * PROVISIONAL (until the executor seam lands): open the executor named by
 * --executor bullmq|slurm for a run, with the dataset published in the
 * shared cache so workers anywhere load it by fingerprint.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ExecutorChoice } from '../src/cli.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { BullMQExecutor } from '../src/executors/bullmq.ts';
import { connectQueue } from '../src/executors/bullmq-queue.ts';
import { publishDataset, type Executor, type ExecutorEvents } from '../src/executors/provisional-seam.ts';
import { SlurmExecutor } from '../src/executors/slurm.ts';

export async function openClusterExecutor(choice: Exclude<ExecutorChoice, { kind: 'local' }>, o: { cacheDir: string; dataset: Dataset; engine: string; backend: string; events: ExecutorEvents }): Promise<Executor> {
  const fingerprint = await publishDataset(o.cacheDir, o.dataset);
  const dataset = { fingerprint, name: o.dataset.name };
  if (choice.kind === 'bullmq') {
    const { url } = await connectQueue(choice.queue);
    return BullMQExecutor.open({ url, engine: o.engine, dataset, events: o.events });
  }
  const projectRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
  return SlurmExecutor.open({ cacheDir: o.cacheDir, projectRoot, sbatchArgs: choice.sbatchArgs, backend: o.backend, engine: o.engine, dataset, events: o.events });
}

/**
 * The stage functions by name: one job in, its output files out. Used in the
 * main process (--jobs 1) and in every worker process alike.
 */
import * as tf from '@tensorflow/tfjs';
import type { EntryFiles } from '../src/artifacts/store.ts';
import type { StageContext } from '../src/jobs/context.ts';
import type { Job } from '../src/jobs/job.ts';
import { baseline } from './baseline.ts';
import { finetune } from './finetune.ts';
import { pca } from './pca.ts';
import { prepare } from './prepare.ts';
import { pretrain } from './pretrain.ts';
import { pseudoLabel } from './pseudo-label.ts';

/** Run one job in this process and return the files to store. */
export async function executeJob(job: Job, ctx: StageContext): Promise<EntryFiles> {
  switch (job.stage) {
    case 'prepare': return prepare(job, ctx);
    case 'pretrain': return pretrain(job, ctx);
    case 'finetune': return finetune(job, ctx);
    case 'baseline': return baseline(job, ctx);
    case 'pca': return pca(job, ctx);
    case 'pseudo-label': return pseudoLabel(job, ctx);
  }
}

/** Run one job and count the tensors it left behind (every stage must leave none). */
export async function executeJobCounted(job: Job, ctx: StageContext): Promise<{ files: EntryFiles; leaked: number }> {
  const before = tf.memory().numTensors;
  const files = await executeJob(job, ctx);
  return { files, leaked: tf.memory().numTensors - before };
}

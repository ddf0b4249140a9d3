/**
 * Stage 1 — prepare. Split the dataset for one seed: hold out the test set
 * before anything else, keep every other index as the unlabeled pool, and
 * fix a seeded order of each class's pool indices. Each labeled subset is a
 * prefix of those orders, so subsets are stratified and nested, and a new
 * labeled fraction reuses the stored split.
 */
import type { ArtifactStore, EntryFiles } from '../src/artifacts/store.ts';
import { makeSplit, splitFromJson, splitToJson, type Split } from '../src/data/split.ts';
import type { StageContext } from '../src/jobs/context.ts';
import type { PrepareJob } from '../src/jobs/job.ts';
import { runStageAlone } from './stage-main.ts';

/** Bump when the split's logic changes, so old cached splits are not reused. */
export const PREPARE_VERSION = 1;

export async function prepare(job: PrepareJob, ctx: StageContext): Promise<EntryFiles> {
  const split = makeSplit(ctx.dataset, job.seed, job.testFraction);
  return { 'split.json': splitToJson(split) };
}

/** Read a stored split. */
export function loadSplit(store: ArtifactStore, key: string): Split {
  return splitFromJson(store.read('prepare', key, 'split.json').toString('utf8'));
}

runStageAlone(import.meta.url, 'prepare');

/**
 * Stage 1 — prepare. Split the dataset for one seed: hold out the test set
 * before anything else, keep every other index as the unlabeled pool, and
 * fix a seeded order of each class's pool indices. Each labeled subset is a
 * prefix of those orders, so subsets are stratified and nested, and a new
 * labeled fraction reuses the stored split.
 */
import type { EntryFiles } from '../src/artifacts/store.ts';
import { makeSplit, splitFromJson, splitToJson, type Split } from '../src/data/split.ts';
import type { Job } from '../src/jobs/job.ts';
import type { StageContext, StageDefinition } from '../src/jobs/stage.ts';
import { runStageAlone } from './stage-alone.ts';

export interface PrepareParams {
  /** Share of each class held out as the test set; 0 where the dataset brings its official test set. */
  testFraction: number;
}

export async function prepare(job: Job<PrepareParams>, ctx: StageContext): Promise<EntryFiles> {
  const split = makeSplit(ctx.dataset, job.seed, job.params.testFraction);
  return { 'split.json': splitToJson(split) };
}

export const prepareStage: StageDefinition<PrepareParams> = {
  name: 'prepare',
  title: 'split each seed into a test set, the unlabeled pool and nested labeled subsets',
  version: 1,
  grain: 'seed',
  inputs: [],
  usesBackend: false,
  params: ({ config, facts }) => ({ testFraction: facts.hasOfficialTest ? 0 : config.testFraction }),
  run: prepare,
};

/** The split a job reads: the output of its seed's prepare job. */
export function readSplit(ctx: Pick<StageContext, 'store'>, job: Job): Split {
  return splitFromJson(ctx.store.read(prepareStage.name, job.inputs[prepareStage.name], 'split.json').toString('utf8'));
}

runStageAlone(import.meta.url, prepareStage);

import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import { ArtifactStore } from '../src/artifacts/store.ts';
import { startBackend } from '../src/backend/start-backend.ts';
import { DEFAULT_CONFIG } from '../src/config.ts';
import { datasetFactsOf } from '../src/data/facts.ts';
import { labeledSubset } from '../src/data/split.ts';
import type { Job } from '../src/jobs/job.ts';
import { buildPlan } from '../src/jobs/plan.ts';
import type { StageContext } from '../src/jobs/stage.ts';
import { serialiseModel } from '../src/artifacts/model-io.ts';
import { buildEncoder } from '../src/models/autoencoder.ts';
import type { ClassifierParams, ClassifierScore } from '../pipeline/classifier-stage.ts';
import { baselineStage } from '../pipeline/baseline.ts';
import { finetuneStage } from '../pipeline/finetune.ts';
import { readSplit } from '../pipeline/prepare.ts';
import { PIPELINE_STAGES } from '../pipeline/registry.ts';
import { tinyImageDataset } from './fixtures/tiny-dataset.ts';
import { tempFolder } from './fixtures/cli.ts';
import { runHere } from './fixtures/tiny-images.ts';

await startBackend('auto');
const dataset = tinyImageDataset(25, 4);
const facts = datasetFactsOf(dataset);
const config = { ...DEFAULT_CONFIG, labeled: [0.2, 0.5], seeds: [1], hidden: 16, latent: 4, pretrainEpochs: 3, finetuneEpochs: 4, batchSize: 8 };
const plan = (overrides: Partial<typeof config> = {}) => buildPlan({ stages: PIPELINE_STAGES, config: { ...config, ...overrides }, facts, engine: 'test' });

/** A fresh store with the whole tiny plan run in it. */
async function ranPlan(): Promise<{ jobs: Job[]; ctx: StageContext }> {
  const ctx: StageContext = { store: new ArtifactStore(path.join(tempFolder('stages'), 'data')), dataset, backend: 'test', onEpoch: () => undefined };
  const jobs = plan();
  await runHere(jobs, ctx);
  return { jobs, ctx };
}

test('every stage leaves the tensor count where it found it, and stores its output', async () => {
  const ctx: StageContext = { store: new ArtifactStore(path.join(tempFolder('stages'), 'data')), dataset, backend: 'test', onEpoch: () => undefined };
  const jobs = plan();
  assert.deepEqual([...new Set(jobs.map((job) => job.stage))], ['prepare', 'baseline', 'pretrain', 'finetune', 'pictures']);
  const leaked = await runHere(jobs, ctx);
  for (const job of jobs) {
    assert.equal(leaked.get(job.id), 0, `${job.id} leaked tensors`);
    assert.ok(ctx.store.check(job.stage, job.key).ok, `${job.id} stored nothing valid`);
  }
});

test('both arms of a seed and budget train on the same labeled examples, scored on the same test set', async () => {
  const { jobs, ctx } = await ranPlan();
  const prepare = jobs.find((job) => job.stage === 'prepare')!;
  const pretrain = jobs.find((job) => job.stage === 'pretrain')!;
  assert.equal(pretrain.inputs.prepare, prepare.key);
  const classifiers = jobs.filter((job) => job.arm !== undefined);
  assert.equal(classifiers.length, 4);
  for (const budget of config.labeled) {
    const pair = classifiers.filter((job) => job.budget?.value === budget);
    assert.deepEqual(pair.map((job) => job.arm).sort(), ['baseline', 'pretrained']);
    const scores = pair.map((job) => ctx.store.readJson<ClassifierScore>(job.stage, job.key, 'score.json'));
    assert.equal(scores[0].labeled, scores[1].labeled);
    const testTotal = (m: number[][]) => m.flat().reduce((a, b) => a + b, 0);
    assert.equal(testTotal(scores[0].test!.confusion), testTotal(scores[1].test!.confusion));
    assert.equal(testTotal(scores[0].test!.confusion), readSplit(ctx, pair[0]).test.length);
    assert.deepEqual(pair.map((job) => job.inputs.prepare), [prepare.key, prepare.key]);
  }
  // Pretraining does not depend on the budget, so one encoder serves every fraction; the baseline reads none.
  assert.deepEqual([...new Set(classifiers.filter((job) => job.arm === 'pretrained').map((job) => job.inputs.pretrain))], [pretrain.key]);
  assert.ok(classifiers.filter((job) => job.arm === 'baseline').every((job) => job.inputs.pretrain === undefined));
});

test('keys change with what determines the output, and only with that', () => {
  const jobs = plan();
  const other = plan({ finetuneEpochs: 5 });
  const key = (list: Job[], id: string) => list.find((job) => job.id === id)!.key;
  assert.equal(key(other, 'prepare seed 1'), key(jobs, 'prepare seed 1'));
  assert.equal(key(other, 'pretrain seed 1'), key(jobs, 'pretrain seed 1'));
  assert.equal(key(other, 'pictures seed 1'), key(jobs, 'pictures seed 1'));
  assert.notEqual(key(other, 'pretrained seed 1 fraction 0.2'), key(jobs, 'pretrained seed 1 fraction 0.2'));
  assert.notEqual(key(other, 'baseline seed 1 fraction 0.2'), key(jobs, 'baseline seed 1 fraction 0.2'));
  // A new pretraining setting reaches the arms that read the encoder, not the baseline.
  const noisier = plan({ noise: 0.5 });
  assert.notEqual(key(noisier, 'pretrained seed 1 fraction 0.2'), key(jobs, 'pretrained seed 1 fraction 0.2'));
  assert.equal(key(noisier, 'baseline seed 1 fraction 0.2'), key(jobs, 'baseline seed 1 fraction 0.2'));
  // The engine keys every backend-dependent job, not the split.
  const elsewhere = buildPlan({ stages: PIPELINE_STAGES, config, facts, engine: 'other' });
  assert.equal(key(elsewhere, 'prepare seed 1'), key(jobs, 'prepare seed 1'));
  assert.notEqual(key(elsewhere, 'pretrain seed 1'), key(jobs, 'pretrain seed 1'));
});

test('pairing: the fine-tuning stage on a fresh encoder reproduces the baseline bit for bit', async () => {
  const { jobs, ctx } = await ranPlan();
  const finetuneJob = jobs.find((job) => job.arm === 'pretrained' && job.budget?.value === 0.5)!;
  const baselineJob = jobs.find((job) => job.arm === 'baseline' && job.budget?.value === 0.5)!;
  // An "encoder" entry holding the initial weights the baseline starts from, given to the fine-tuning stage.
  const model = (finetuneJob.params as ClassifierParams).model;
  const fresh = buildEncoder(model, finetuneJob.seed);
  ctx.store.write('pretrain', 'fresh-encoder', await serialiseModel(fresh));
  fresh.dispose();
  const onFresh = { ...finetuneJob, inputs: { ...finetuneJob.inputs, pretrain: 'fresh-encoder' } };
  const a = await finetuneStage.run(onFresh as Parameters<typeof finetuneStage.run>[0], ctx);
  const b = await baselineStage.run(baselineJob as Parameters<typeof baselineStage.run>[0], ctx);
  // Same head init, same labeled rows, same batch order, same optimiser and budget ⇒ identical training.
  assert.equal(a['curve.json'], b['curve.json']);
  assert.deepEqual(JSON.parse(a['score.json'] as string).confusion, JSON.parse(b['score.json'] as string).confusion);
  assert.deepEqual(a['weights.bin'], b['weights.bin']);
  const split = readSplit(ctx, baselineJob);
  assert.equal(JSON.parse(b['score.json'] as string).labeled, labeledSubset(split, baselineJob.budget!, dataset.classNames).length);
});

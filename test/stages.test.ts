import assert from 'node:assert/strict';
import path from 'node:path';
import { test } from 'node:test';
import * as tf from '@tensorflow/tfjs';
import { ArtifactStore } from '../src/artifacts/store.ts';
import { startBackend } from '../src/backend/start-backend.ts';
import { DEFAULT_CONFIG } from '../src/config.ts';
import { datasetFingerprint } from '../src/data/cache.ts';
import type { StageContext } from '../src/jobs/context.ts';
import type { ClassifierJob, PrepareJob, PretrainJob } from '../src/jobs/job.ts';
import type { ClassifierOutcome } from '../src/train/train-classifier.ts';
import { executeJob } from '../pipeline/stages.ts';
import { buildPlan } from '../pipeline/plan.ts';
import { tinyImageDataset } from './fixtures/tiny-dataset.ts';
import { tempFolder } from './fixtures/cli.ts';

await startBackend('auto');
const dataset = tinyImageDataset(25, 4);
const store = new ArtifactStore(path.join(tempFolder('stages'), 'data'));
const ctx: StageContext = { store, dataset, backend: 'test', onEpoch: () => undefined };
const config = { ...DEFAULT_CONFIG, labeled: [0.2, 0.5], seeds: [1], hidden: 16, latent: 4, pretrainEpochs: 3, finetuneEpochs: 4, batchSize: 8 };
const jobs = buildPlan(config, { fingerprint: datasetFingerprint(dataset), features: 64, classCount: 4, inputKind: 'image', hasOfficialTest: false }, 'test');

test('every stage leaves the tensor count where it found it, and stores its output', async () => {
  for (const job of jobs) {
    const before = tf.memory().numTensors;
    const files = await executeJob(job, ctx);
    assert.equal(tf.memory().numTensors, before, `${job.id} leaked tensors`);
    store.write(job.stage, job.key, files);
    assert.ok(store.check(job.stage, job.key).ok);
  }
});

test('both arms of a seed and budget train on the same labeled examples, scored on the same test set', () => {
  const prepare = jobs.find((job): job is PrepareJob => job.stage === 'prepare')!;
  const pretrain = jobs.find((job): job is PretrainJob => job.stage === 'pretrain')!;
  assert.equal(pretrain.splitKey, prepare.key);
  const classifiers = jobs.filter((job): job is ClassifierJob => job.stage === 'finetune' || job.stage === 'baseline');
  assert.equal(classifiers.length, 4);
  for (const budget of config.labeled) {
    const pair = classifiers.filter((job) => job.budget.value === budget);
    const outcomes = pair.map((job) => store.readJson<ClassifierOutcome>(job.stage, job.key, 'result.json'));
    assert.deepEqual(outcomes.map((o) => o.row.arm).sort(), ['baseline', 'pretrained']);
    assert.equal(outcomes[0].row.labeled, outcomes[1].row.labeled);
    const testTotal = (m: number[][]) => m.flat().reduce((a, b) => a + b, 0);
    assert.equal(testTotal(outcomes[0].confusion.matrix), testTotal(outcomes[1].confusion.matrix));
    assert.deepEqual(pair.map((job) => job.splitKey), [prepare.key, prepare.key]);
  }
  // Pretraining does not depend on the budget, so one encoder serves every fraction.
  assert.equal(new Set(classifiers.filter((job) => job.stage === 'finetune').map((job) => job.encoderKey)).size, 1);
});

test('keys change with what determines the output, and only with that', () => {
  const other = buildPlan({ ...config, finetuneEpochs: 5 }, { fingerprint: datasetFingerprint(dataset), features: 64, classCount: 4, inputKind: 'image', hasOfficialTest: false }, 'test');
  const key = (list: typeof jobs, id: string) => list.find((job) => job.id === id)!.key;
  assert.equal(key(other, 'prepare seed 1'), key(jobs, 'prepare seed 1'));
  assert.equal(key(other, 'pretrain seed 1'), key(jobs, 'pretrain seed 1'));
  assert.notEqual(key(other, 'finetune seed 1 fraction 0.2'), key(jobs, 'finetune seed 1 fraction 0.2'));
  assert.notEqual(key(other, 'baseline seed 1 fraction 0.2'), key(jobs, 'baseline seed 1 fraction 0.2'));
});

test('pairing: a pretrained-arm job whose encoder is the fresh initialisation reproduces the baseline bit for bit', async () => {
  const { trainAndEvaluate } = await import('../src/train/train-classifier.ts');
  const { buildEncoder } = await import('../src/models/autoencoder.ts');
  const { loadSplit } = await import('../pipeline/prepare.ts');
  const finetuneJob = jobs.find((job): job is ClassifierJob => job.stage === 'finetune' && job.budget.value === 0.5)!;
  const baselineJob = jobs.find((job): job is ClassifierJob => job.stage === 'baseline' && job.budget.value === 0.5)!;
  const split = loadSplit(store, finetuneJob.splitKey);
  const run = (job: ClassifierJob) => trainAndEvaluate({ job, encoder: buildEncoder(job.model, job.seed), data: dataset, split, backend: 'test', onEpoch: () => undefined });
  const a = await run(finetuneJob);
  const b = await run(baselineJob);
  // Same head init, same labeled rows, same batch order, same optimiser and budget ⇒ identical training.
  assert.deepEqual(a.curve.epochs, b.curve.epochs);
  assert.deepEqual(a.confusion.matrix, b.confusion.matrix);
  assert.equal(a.row.accuracy, b.row.accuracy);
  assert.deepEqual([a.row.arm, b.row.arm], ['pretrained', 'baseline']);
});

import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '#tfjs';
import type { ClassifierScore } from '../pipeline/classifier-stage.ts';
import { readSplit } from '../pipeline/prepare.ts';
import { PIPELINE_STAGES } from '../pipeline/registry.ts';
import { readStoredModel } from '../src/artifacts/model-io.ts';
import { DEFAULT_CONFIG, type PipelineConfig } from '../src/config.ts';
import { validationSubset } from '../src/data/split.ts';
import { buildPlan } from '../src/jobs/plan.ts';
import type { EpochLog } from '../src/train/curves.ts';
import { scoreClassifier } from '../src/train/score.ts';
import { factsOf, runHere, tinyContext, tinyImages } from './fixtures/tiny-images.ts';

function tinyConfig(overrides: Partial<PipelineConfig>): PipelineConfig {
  return {
    ...DEFAULT_CONFIG, labeled: [], labelsPerClass: [3], seeds: [1], hidden: 16, latent: 4, pretrainEpochs: 2, finetuneEpochs: 6, batchSize: 8,
    learningRate: 0.01, validation: 4, arms: ['pretrained', 'frozen', 'two-phase', 'pca', 'pseudo-label'], pseudoThreshold: 0.5, pseudoSteps: 12,
    pseudoBatchSize: 16, quiet: true, ...overrides,
  };
}

async function runArms(config: PipelineConfig) {
  await tf.setBackend('cpu');
  const ctx = tinyContext(tinyImages());
  const jobs = buildPlan({ stages: PIPELINE_STAGES, config, facts: factsOf(ctx.dataset), engine: 'cpu' });
  await runHere(jobs, ctx);
  return jobs.filter((job) => job.arm !== undefined).map((job) => ({
    job,
    ctx,
    score: ctx.store.readJson<ClassifierScore>(job.stage, job.key, 'score.json'),
    curve: ctx.store.readJson<EpochLog[]>(job.stage, job.key, 'curve.json'),
  }));
}

test('every arm records its validation accuracy after every epoch; --select-epoch best-val keeps the first best epoch\'s weights, by the same rule for every arm', async () => {
  const arms = await runArms(tinyConfig({ selectEpoch: 'best-val' }));
  assert.deepEqual(arms.map((a) => a.job.arm).sort(), ['baseline', 'frozen', 'pca', 'pretrained', 'pseudo-label', 'step-matched', 'two-phase']);
  for (const { job, ctx, score, curve } of arms) {
    assert.ok(curve.every((e) => typeof e.valAccuracy === 'number'), `${job.id}: an epoch without validation accuracy`);
    const best = Math.max(...curve.map((e) => e.valAccuracy!));
    assert.equal(score.valAccuracy, best, job.id);
    assert.equal(score.selectedEpoch, curve.find((e) => e.valAccuracy === best)!.epoch, job.id);
    // The stored model is the selected epoch's: it scores exactly that on validation.
    const model = await readStoredModel(ctx.store, job.stage, job.key);
    const split = readSplit(ctx, job);
    assert.equal((await scoreClassifier(model, ctx.dataset, validationSubset(split, 4))).accuracy, best, `${job.id}: the stored weights are not the selected epoch's`);
    model.dispose();
    assert.ok(score.test && score.test.accuracy >= 0, job.id);
  }
});

test('--select-epoch last keeps the last epoch; its validation accuracy is the last one measured; without validation there is none', async () => {
  for (const { job, score, curve } of await runArms(tinyConfig({ selectEpoch: 'last', arms: ['pretrained'] }))) {
    assert.equal(score.selectedEpoch, curve.at(-1)!.epoch, job.id);
    assert.equal(score.valAccuracy, curve.at(-1)!.valAccuracy, job.id);
  }
  for (const { job, score, curve } of await runArms(tinyConfig({ validation: 0, arms: ['pretrained'] }))) {
    assert.equal(score.valAccuracy, null, job.id);
    assert.ok(curve.every((e) => e.valAccuracy === undefined), job.id);
  }
});

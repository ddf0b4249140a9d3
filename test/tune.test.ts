import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as tf from '#tfjs';
import type { ClassifierScore } from '../pipeline/classifier-stage.ts';
import { readSplit } from '../pipeline/prepare.ts';
import { PIPELINE_STAGES } from '../pipeline/registry.ts';
import { armNamed } from '../src/arms/index.ts';
import { DEFAULT_CONFIG, type PipelineConfig } from '../src/config.ts';
import { budgetsOf } from '../src/data/split.ts';
import { UserError } from '../src/errors.ts';
import { armsOf, Planner } from '../src/jobs/plan.ts';
import { searchSpaces, trialSettings } from '../src/tune/search-space.ts';
import { tempFolder } from './fixtures/cli.ts';
import { factsOf, runHere, tinyContext, tinyImages } from './fixtures/tiny-images.ts';

const tuned: PipelineConfig = {
  ...DEFAULT_CONFIG, labeled: [], labelsPerClass: [3], seeds: [1, 2], hidden: 16, latent: 4, pretrainEpochs: 2, finetuneEpochs: 4, batchSize: 8,
  learningRate: 0.01, validation: 4, arms: ['pretrained', 'two-phase', 'pseudo-label'], pseudoThreshold: 0.5, pseudoSteps: 12, pseudoBatchSize: 16, quiet: true,
};

test('tuning trials never read the test set: with every test row poisoned (NaN) they all run, and a test-scored job does not', async () => {
  // One seed: another seed's test rows are this seed's pool rows.
  const config = { ...tuned, seeds: [1] };
  await tf.setBackend('cpu');
  const ctx = tinyContext(tinyImages());
  const facts = factsOf(ctx.dataset);
  const planner = new Planner({ stages: PIPELINE_STAGES, config, facts, engine: 'cpu' });
  const arms = armsOf({ config, facts }).filter((arm) => arm.controlFor === undefined);
  const spaces = searchSpaces(arms, config);
  for (const arm of arms) {
    for (const trial of [1, 2]) {
      const settings = trialSettings(spaces.get(arm.name)!, config, arm.name, trial, 1);
      for (const seed of config.seeds) {
        for (const budget of budgetsOf(config)) planner.armJob(arm, seed, budget, { config: { ...config, ...settings }, tag: `trial ${trial}`, extra: { scoreTest: false } });
      }
    }
  }
  const seedJobs = planner.jobs.filter((job) => job.arm === undefined);
  await runHere(seedJobs, ctx);
  const trialJobs = planner.jobs.filter((job) => job.arm !== undefined);
  for (const i of readSplit(ctx, trialJobs[0]).test) ctx.dataset.x.fill(Number.NaN, i * 64, (i + 1) * 64);
  assert.equal(trialJobs.length, arms.length * 2 * config.seeds.length);
  await runHere(trialJobs, ctx);
  for (const job of trialJobs) {
    const score = ctx.store.readJson<ClassifierScore>(job.stage, job.key, 'score.json');
    assert.equal(score.test, undefined, `${job.id} has a test score`);
    assert.ok(score.valAccuracy !== null && score.valAccuracy >= 0, `${job.id} has no validation accuracy`);
  }
  // The poison is real: a job that does score the test set fails on it.
  const scored = new Planner({ stages: PIPELINE_STAGES, config, facts, engine: 'cpu' }).armJob(armNamed('baseline'), 1, budgetsOf(config)[0]);
  await assert.rejects(runHere([scored], ctx), /non-finite predictions/);
});

test('trials: trial 1 is the run\'s own settings; later ones are seeded draws, shared by every arm for the settings every arm has', () => {
  const config = tuned;
  const arms = armsOf({ config, facts: factsOf(tinyImages()) }).filter((arm) => arm.controlFor === undefined);
  const spaces = searchSpaces(arms, config);
  assert.deepEqual(Object.keys(spaces.get('baseline')!).sort(), ['finetuneEpochs', 'learningRate']);
  assert.deepEqual(Object.keys(spaces.get('two-phase')!).sort(), ['encoderLearningRateFactor', 'finetuneEpochs', 'headEpochShare', 'learningRate']);
  assert.deepEqual(trialSettings(spaces.get('two-phase')!, config, 'two-phase', 1, 1), { encoderLearningRateFactor: 0.1, finetuneEpochs: 4, headEpochShare: 0.5, learningRate: 0.01 });
  for (const trial of [2, 3, 4]) {
    const base = trialSettings(spaces.get('baseline')!, config, 'baseline', trial, 1);
    const pseudo = trialSettings(spaces.get('pseudo-label')!, config, 'pseudo-label', trial, 1);
    assert.deepEqual(trialSettings(spaces.get('baseline')!, config, 'baseline', trial, 1), base, 'seeded');
    assert.equal(pseudo.learningRate, base.learningRate);
    assert.equal(pseudo.finetuneEpochs, base.finetuneEpochs);
    assert.ok((base.learningRate as number) >= 0.01 / 3 && (base.learningRate as number) <= 0.03, String(base.learningRate));
    assert.ok([2, 4, 8].includes(base.finetuneEpochs as number));
    assert.ok((pseudo.pseudoThreshold as number) >= 0.8 && (pseudo.pseudoThreshold as number) <= 0.99);
  }
  assert.notDeepEqual(trialSettings(spaces.get('baseline')!, config, 'baseline', 2, 1), trialSettings(spaces.get('baseline')!, config, 'baseline', 3, 1));
});

test('a search-space file (JSON or YAML) replaces ranges per arm; unknown arms, untunable settings and bad ranges are one-line errors', () => {
  const config = tuned;
  const arms = armsOf({ config, facts: factsOf(tinyImages()) }).filter((arm) => arm.controlFor === undefined);
  const dir = tempFolder('space');
  const yaml = path.join(dir, 'space.yaml');
  writeFileSync(yaml, '"*":\n  learningRate: { log: [0.001, 0.002] }\ntwo-phase:\n  headEpochShare: { choice: [0.25, 0.75] }\n');
  const spaces = searchSpaces(arms, config, yaml);
  assert.deepEqual(spaces.get('baseline')!.learningRate, { log: [0.001, 0.002] });
  assert.deepEqual(spaces.get('two-phase')!.headEpochShare, { choice: [0.25, 0.75] });
  const bad = (content: string, message: RegExp) => {
    const file = path.join(dir, `bad-${Math.abs(content.length)}.json`);
    writeFileSync(file, content);
    assert.throws(() => searchSpaces(arms, config, file), (e: unknown) => e instanceof UserError && message.test(e.message) && !e.message.includes('\n'), content);
  };
  bad('{"magic": {}}', /"magic" is not an arm of this run/);
  bad('{"baseline": {"noise": {"uniform": [0, 1]}}}', /baseline cannot be tuned on "noise": give one of learningRate, finetuneEpochs/);
  bad('{"*": {"learningRate": {"log": [0, 1]}}}', /\*\.learningRate must be one of/);
  bad('{"*": [1, 2]', /is not valid JSON or YAML/);
  assert.throws(() => searchSpaces(arms, config, path.join(dir, 'missing.json')), /does not exist/);
});

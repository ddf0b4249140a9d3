import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PIPELINE_STAGES } from '../pipeline/registry.ts';
import { ARM_CHOICES } from '../src/arms/index.ts';
import { configFromArgs, parseArgs } from '../src/cli.ts';
import { PRESETS, armConfig, type PipelineConfig } from '../src/config.ts';
import type { DatasetFacts } from '../src/data/facts.ts';
import { UserError } from '../src/errors.ts';
import { buildPlan as buildPlanFor } from '../src/jobs/plan.ts';

const buildPlan = (config: PipelineConfig, facts: DatasetFacts, engine: string) => buildPlanFor({ stages: PIPELINE_STAGES, config, facts, engine });

async function config(...argv: string[]) {
  const args = await parseArgs(argv, 'test');
  assert.ok(args);
  return configFromArgs(args);
}

test('--encoder, --arms, --noise-type, --depth resolve into the config', async () => {
  const c = await config('--encoder', 'conv', '--arms', 'pseudo-label,frozen,baseline', '--noise-type', 'gaussian', '--noise', '1.5', '--depth', '2');
  assert.equal(c.encoder, 'conv');
  assert.deepEqual(c.arms, ['frozen', 'pseudo-label']);
  assert.equal(c.noiseType, 'gaussian');
  assert.equal(c.noise, 1.5);
  assert.equal(c.depth, 2);
  assert.deepEqual((await config()).arms, ['pretrained']);
});

test('bad --encoder and --arms values are one-line UserErrors naming the option and the choices', async () => {
  const cases: [string[], RegExp][] = [
    [['--encoder', 'lstm'], /^--encoder lstm is unknown: use one of mlp, classic, conv\.$/],
    [['--arms', 'pretrained,magic'], /^--arms magic is unknown: use one of pretrained, frozen, two-phase, pca, pseudo-label, step-matched\.$/],
    [['--arms', 'frozen,frozen'], /^--arms lists an arm twice/],
    [['--arms', 'baseline'], /^--arms names no arm besides the baseline/],
    [['--arms', ''], /^--arms is empty/],
    [['--noise-type', 'salt'], /^--noise-type salt is unknown: use one of mask, gaussian\.$/],
    [['--noise', '1.5'], /^--noise 1.5 is out of range/],
    [['--depth', '0'], /^--depth "0" is not a whole number ≥ 1/],
    [['--pseudo-threshold', '1'], /^--pseudo-threshold 1 is out of range/],
    [['--pseudo-steps', '0'], /^--pseudo-steps "0" is not a whole number ≥ 1/],
    [['--pseudo-batch-size', 'x'], /^--pseudo-batch-size "x" is not a whole number/],
    [['--pseudo-weight', '-1'], /^--pseudo-weight -1 is out of range/],
    [['--pseudo-noise', '1'], /^--pseudo-noise 1 is out of range/],
    [['--pseudo-shift', '9'], /^--pseudo-shift 9 is too large/],
    [['--pseudo-ramp', '0.5'], /^--pseudo-ramp 0.5 is not two shares/],
    [['--pseudo-ramp', '0.5,0.2'], /^--pseudo-ramp 0.5,0.2 ends before it starts/],
    [['--pseudo-ramp', '0.1,2'], /^--pseudo-ramp 2 is out of range/],
    [['--pseudo-per-class', '5'], /^Unknown argument/],
    [['--pseudo-decay', 'step'], /^--pseudo-decay step is unknown: use one of none, cosine\.$/],
    [['--latent-std', '-1'], /^--latent-std -1 is out of range/],
    [['--augment-shift', '1.5'], /^--augment-shift "1.5" is not a whole number ≥ 0/],
    [['--augment-shift', '9'], /^--augment-shift 9 is too large: give at most 8\.$/],
  ];
  for (const [argv, message] of cases) {
    await assert.rejects(async () => config(...argv), (error: unknown) => error instanceof UserError && message.test(error.message) && !error.message.includes('\n'), argv.join(' '));
  }
});

test('the pseudo-label options resolve into the config and key only the pseudo-label jobs', async () => {
  const c = await config('--arms', 'pretrained,pseudo-label', '--pseudo-steps', '500', '--pseudo-batch-size', '64', '--pseudo-threshold', '0.9',
    '--pseudo-weight', '2', '--pseudo-ramp', '0.2,0.5', '--pseudo-noise', '0.1', '--pseudo-shift', '1', '--pseudo-decay', 'cosine');
  assert.deepEqual([c.pseudoSteps, c.pseudoBatchSize, c.pseudoThreshold, c.pseudoWeight, c.pseudoRamp, c.pseudoNoise, c.pseudoShift, c.pseudoDecay],
    [500, 64, 0.9, 2, [0.2, 0.5], 0.1, 1, 'cosine']);
  const images = { fingerprint: 'f', features: 4, classCount: 2, inputKind: 'image' as const, inputShape: [2, 2, 1], hasOfficialTest: false };
  const keys = async (...argv: string[]) => new Map(buildPlan(await config('--arms', 'pretrained,pseudo-label', ...argv), images, 'cpu').map((j) => [j.id, j.key]));
  const plain = await keys();
  const changed = await keys('--pseudo-weight', '3');
  for (const [id, key] of plain) assert.equal(changed.get(id) === key, !id.startsWith('pseudo-label'), id);
});

test('--arm-settings key only that arm\'s jobs at that budget (its control follows it), typed as the options type them', async () => {
  const images = { fingerprint: 'f', features: 4, classCount: 2, inputKind: 'image' as const, inputShape: [2, 2, 1], hasOfficialTest: false };
  const argv = ['--arms', 'pretrained,pseudo-label,step-matched', '--labeled', '0.01,0.05'];
  const keys = async (...more: string[]) => new Map(buildPlan(await config(...argv, ...more), images, 'cpu').map((j) => [j.id, j.key]));
  const plain = await keys();
  const own = [{ arm: 'pretrained', budget: 'fraction 0.05', settings: { learningRate: '0.0005' } }, { arm: 'pseudo-label', settings: { learningRate: 0.002 } }];
  const c = await config(...argv, '--arm-settings', JSON.stringify(own));
  assert.deepEqual(c.armSettings[0], { arm: 'pretrained', budget: 'fraction 0.05', settings: { learningRate: 0.0005 } });
  assert.equal(armConfig(c, { name: 'pretrained' }, 'fraction 0.05').learningRate, 0.0005);
  assert.equal(armConfig(c, { name: 'pretrained' }, 'fraction 0.01').learningRate, c.learningRate);
  assert.equal(armConfig(c, { name: 'step-matched', controlFor: 'pseudo-label' }, 'fraction 0.01').learningRate, 0.002);
  const changed = await keys('--arm-settings', JSON.stringify(own));
  const moved = (id: string) => /^pretrained seed \d+ fraction 0.05$/.test(id) || id.startsWith('pseudo-label') || id.startsWith('step-matched');
  for (const [id, key] of plain) assert.equal(changed.get(id) !== key, moved(id), id);
});

test('--encoder conv on a table dataset is a UserError when the plan is built', async () => {
  const c = await config('--encoder', 'conv');
  assert.throws(() => buildPlan(c, { fingerprint: 'f', features: 4, classCount: 2, inputKind: 'table', inputShape: [4], hasOfficialTest: false }, 'cpu'),
    (error: unknown) => error instanceof UserError && /--encoder conv needs an image dataset/.test(error.message));
});

test('the paper preset exists and names only valid arms', async () => {
  assert.ok(PRESETS.paper);
  const c = await config('--preset', 'paper');
  assert.ok(c.arms.length >= 1);
  for (const arm of c.arms) assert.ok((ARM_CHOICES as string[]).includes(arm), `unknown arm ${arm}`);
  assert.deepEqual(c.labelsPerClass, [10, 100]);
  // Re-chosen on validation: its per-arm settings pass the options' checks, and its caveat names what was not re-chosen.
  assert.equal(PRESETS.paper.chosenOn, 'validation');
  assert.ok(PRESETS.paper.stillFromTest);
  assert.deepEqual(c.armSettings, PRESETS.paper.settings.armSettings);
  assert.equal(armConfig(c, { name: 'pretrained' }, '100 per class').learningRate, 0.000344);
  assert.equal(armConfig(c, { name: 'pretrained' }, '10 per class').learningRate, 0.001);
  assert.equal(armConfig(c, { name: 'step-matched', controlFor: 'pseudo-label' }, '100 per class').pseudoThreshold, 0.843);
});

test('--latent-std is read into the config and keys the pretrain job only when set', async () => {
  const dataset = { fingerprint: 'f', features: 4, classCount: 2, inputKind: 'table' as const, inputShape: [4], hasOfficialTest: false };
  const pretrainKey = (c: Awaited<ReturnType<typeof config>>) => buildPlan(c, dataset, 'cpu').find((j) => j.stage === 'pretrain')!.key;
  const plain = await config();
  assert.equal(plain.latentStd, 0);
  const unit = await config('--latent-std', '1');
  assert.equal(unit.latentStd, 1);
  assert.notEqual(pretrainKey(unit), pretrainKey(plain));
  assert.equal(pretrainKey(await config('--latent-std', '0')), pretrainKey(plain));
});

test('--augment-shift keys every classifier job (not pretraining) when set, and needs image data', async () => {
  const images = { fingerprint: 'f', features: 16, classCount: 2, inputKind: 'image' as const, inputShape: [4, 4, 1], hasOfficialTest: false };
  const keys = (c: Awaited<ReturnType<typeof config>>) => buildPlan(c, images, 'cpu').map((j) => [j.id, j.key] as const);
  const plain = new Map(keys(await config('--arms', 'pretrained,frozen')));
  const shifted = await config('--arms', 'pretrained,frozen', '--augment-shift', '2');
  assert.equal(shifted.augmentShift, 2);
  for (const job of buildPlan(shifted, images, 'cpu')) {
    assert.equal(job.key !== plain.get(job.id), job.arm !== undefined, job.id);
  }
  assert.deepEqual(keys(await config('--arms', 'pretrained,frozen', '--augment-shift', '0')), [...plain]);
  const table = { ...images, inputKind: 'table' as const, inputShape: [16] };
  assert.throws(() => buildPlan(shifted, table, 'cpu'), (error: unknown) => error instanceof UserError && /^--augment-shift 2 shifts images, but this dataset is a table/.test(error.message));
});

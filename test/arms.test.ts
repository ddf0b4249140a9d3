import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '#tfjs';
import { initWasmBackend } from '../src/backend/wasm-kernels.ts';
import { EigenvalueDecomposition, Matrix } from 'ml-matrix';
import type { ClassifierParams, ClassifierScore } from '../pipeline/classifier-stage.ts';
import { readSplit } from '../pipeline/prepare.ts';
import { PIPELINE_STAGES } from '../pipeline/registry.ts';
import { readStoredModel } from '../src/artifacts/model-io.ts';
import { DEFAULT_CONFIG, type PipelineConfig } from '../src/config.ts';
import { labeledSubset } from '../src/data/split.ts';
import { fitPca } from '../src/eval/pca.ts';
import type { Job } from '../src/jobs/job.ts';
import { buildPlan as buildPlanFor } from '../src/jobs/plan.ts';
import type { StageContext } from '../src/jobs/stage.ts';
import type { EpochLog } from '../src/train/curves.ts';
import { buildEncoder } from '../src/models/autoencoder.ts';
import { buildClassifier, HEAD_LAYER } from '../src/models/classifier.ts';
import { buildPcaEncoder } from '../src/models/pca-encoder.ts';
import { rampWeight, selfTrain, unlabeledPool } from '../src/train/pseudo-labels.ts';
import { createRng } from '../src/util/rng.ts';
import { factsOf, runHere, tinyContext, tinyImages } from './fixtures/tiny-images.ts';

const fsExists = (dir: string, file: string) => existsSync(join(dir, file));

const ALL_ARMS: PipelineConfig['arms'] = ['pretrained', 'frozen', 'two-phase', 'pca', 'pseudo-label'];

function tinyConfig(overrides: Partial<PipelineConfig> = {}): PipelineConfig {
  return {
    ...DEFAULT_CONFIG, labeled: [], labelsPerClass: [3, 6], seeds: [1], hidden: 16, latent: 4, pretrainEpochs: 2, finetuneEpochs: 4,
    batchSize: 16, learningRate: 0.01, arms: ALL_ARMS, pseudoThreshold: 0, pseudoSteps: 12, pseudoBatchSize: 16, quiet: true, ...overrides,
  };
}

function buildPlan(config: PipelineConfig, facts: ReturnType<typeof factsOf>, engine: string): Job[] {
  return buildPlanFor({ stages: PIPELINE_STAGES, config, facts, engine });
}

/** The jobs of the arms (the classifier jobs the report shows). */
const armJobs = (jobs: Job[]) => jobs.filter((job) => job.arm !== undefined);
const paramsOf = (job: Job) => job.params as ClassifierParams;

/** Run a whole tiny plan on the cpu backend; returns the jobs and their context. */
async function runTinyPlan(config: PipelineConfig): Promise<{ jobs: Job[]; ctx: StageContext }> {
  await tf.setBackend('cpu');
  const ctx = tinyContext(tinyImages());
  const jobs = buildPlan(config, factsOf(ctx.dataset), 'cpu');
  await runHere(jobs, ctx);
  return { jobs, ctx };
}

async function loadModel(ctx: StageContext, stage: string, key: string): Promise<tf.LayersModel> {
  return readStoredModel(ctx.store, stage, key);
}

function layerValues(model: tf.LayersModel, name: string): Float32Array[] {
  return model.getLayer(name).getWeights().map((w) => w.dataSync() as Float32Array);
}

test('every arm runs as its own cached job; each leaves no tensors behind', async () => {
  await tf.setBackend('cpu');
  const ctx = tinyContext(tinyImages());
  const config = tinyConfig();
  const jobs = buildPlan(config, factsOf(ctx.dataset), 'cpu');
  const leaked = await runHere(jobs, ctx);
  for (const job of jobs) assert.equal(leaked.get(job.id), 0, `${job.id} left tensors behind`);
  const arms = armJobs(jobs).map((job) => job.arm);
  assert.deepEqual([...new Set(arms)].sort(), ['baseline', ...ALL_ARMS, 'step-matched'].sort(), 'pseudo-label brings its step-matched control');
  const keys = jobs.map((job) => job.key);
  assert.equal(new Set(keys).size, keys.length, 'every job has its own key');
});

test('all arms of a seed and budget are planned on the same split, label budget, architecture and training settings', () => {
  const dataset = tinyImages();
  const jobs = armJobs(buildPlan(tinyConfig({ seeds: [1, 2] }), factsOf(dataset), 'cpu'));
  for (const seed of [1, 2]) {
    for (const value of [3, 6]) {
      const group = jobs.filter((j) => j.seed === seed && j.budget?.value === value);
      assert.equal(group.length, 7, 'baseline + five arms + the step-matched control');
      assert.equal(new Set(group.map((j) => j.inputs.prepare)).size, 1);
      assert.equal(new Set(group.map((j) => JSON.stringify(j.budget))).size, 1);
      assert.equal(new Set(group.map((j) => JSON.stringify(paramsOf(j).model))).size, 1, 'same architecture');
      assert.equal(new Set(group.map((j) => JSON.stringify(paramsOf(j).train))).size, 1, 'same learning rate, batch size and epoch budget');
    }
  }
});

test('the scores of every arm report the same labeled count and the full epoch budget', async () => {
  const config = tinyConfig({ encoder: 'conv', labelsPerClass: [3] });
  const { jobs, ctx } = await runTinyPlan(config);
  const arms = armJobs(jobs);
  assert.equal(arms.length, 7);
  for (const job of arms) {
    const score = ctx.store.readJson<ClassifierScore>(job.stage, job.key, 'score.json');
    const curve = ctx.store.readJson<EpochLog[]>(job.stage, job.key, 'curve.json');
    assert.equal(score.labeled, 12, job.arm);
    // The pseudo-label arm has its own step budget; its curve has one point per step here (12 steps ≤ 50 points).
    const points = job.stage === 'pseudo-label' ? config.pseudoSteps : config.finetuneEpochs;
    assert.equal(score.epochs, points, job.arm);
    assert.deepEqual(curve.map((e) => e.epoch), Array.from({ length: points }, (_, i) => i + 1), job.arm);
  }
});

test('frozen arm: the encoder weights stay bit-identical, only the head trains', async () => {
  for (const encoder of ['mlp', 'conv', 'classic'] as const) {
    const { jobs, ctx } = await runTinyPlan(tinyConfig({ encoder, labelsPerClass: [3], arms: ['pretrained', 'frozen'] }));
    const pre = jobs.find((j) => j.stage === 'pretrain')!;
    const frozenJob = jobs.find((j) => 'arm' in j && j.arm === 'frozen')!;
    const finetuned = jobs.find((j) => 'arm' in j && j.arm === 'pretrained')!;
    const encoderModel = await loadModel(ctx, 'pretrain', pre.key);
    const frozen = await loadModel(ctx, 'finetune', frozenJob.key);
    const allLayers = await loadModel(ctx, 'finetune', finetuned.key);
    const weighted = encoderModel.layers.filter((l) => l.getWeights().length > 0).map((l) => l.name);
    assert.ok(weighted.length >= 1);
    for (const name of weighted) {
      const original = layerValues(encoderModel, name);
      layerValues(frozen, name).forEach((w, i) => assert.deepEqual(w, original[i], `${encoder}: ${name} changed in the frozen arm`));
    }
    // Sanity: the all-layers arm does move the encoder, and the frozen arm's head did train.
    assert.ok(weighted.some((name) => layerValues(allLayers, name).some((w, i) => w.some((v, k) => v !== layerValues(encoderModel, name)[i][k]))), `${encoder}: pretrained arm left the encoder unchanged`);
    const headTrained = layerValues(frozen, HEAD_LAYER)[0];
    const headOther = layerValues(allLayers, HEAD_LAYER)[0];
    assert.notDeepEqual(headTrained, headOther);
    tf.dispose([encoderModel, frozen, allLayers].flatMap((m) => m.getWeights()));
  }
});

test('pca encoder projects like an eigen-decomposition of the covariance (ml-matrix), up to sign', () => {
  const rng = createRng(3);
  const n = 60;
  const d = 6;
  const k = 3;
  // Correlated columns with distinct variances, so the components are well separated.
  const x = new Float32Array(n * d);
  for (let i = 0; i < n; i++) {
    const a = rng.next() * 4 - 2, b = rng.next() * 2 - 1, c = rng.next() - 0.5;
    const row = [a + 0.1 * c, a - b, b * 0.5 + c, c * 0.2, a * 0.3 + c, b + 1];
    row.forEach((v, j) => { x[i * d + j] = v + 0.01 * rng.next(); });
  }
  const encoder = buildPcaEncoder(fitPca(x, d, k, 1));
  const projected = tf.tidy(() => (encoder.predict(tf.tensor2d(x, [n, d])) as tf.Tensor).dataSync() as Float32Array);

  const data = new Matrix(Array.from({ length: n }, (_, i) => Array.from(x.subarray(i * d, (i + 1) * d))));
  const means = data.mean('column');
  const centred = data.clone().subRowVector(means);
  const eig = new EigenvalueDecomposition(centred.transpose().mmul(centred).div(n - 1), { assumeSymmetric: true });
  const order = eig.realEigenvalues.map((v, i) => ({ v, i })).sort((p, q) => q.v - p.v).slice(0, k);
  const reference = centred.mmul(new Matrix(order.map(({ i }) => eig.eigenvectorMatrix.getColumn(i))).transpose());
  for (let j = 0; j < k; j++) {
    const ref = reference.getColumn(j);
    const ours = Array.from({ length: n }, (_, i) => projected[i * k + j]);
    const sign = Math.sign(ours.reduce((s, v, i) => s + v * ref[i], 0));
    const scale = Math.max(...ref.map(Math.abs));
    ours.forEach((v, i) => assert.ok(Math.abs(sign * v - ref[i]) < 1e-3 * scale, `component ${j}, row ${i}: ${sign * v} vs ${ref[i]}`));
  }
  tf.dispose(encoder.getWeights());
});

test('pseudo-labelling trains only on the labeled subset and unlabeled pool rows: poisoned test rows never reach the loss', async () => {
  const config = tinyConfig({ labelsPerClass: [3], arms: ['pseudo-label'] });
  await tf.setBackend('cpu');
  const ctx = tinyContext(tinyImages());
  const jobs = buildPlan(config, factsOf(ctx.dataset), 'cpu');
  // The arm starts from the pretrained encoder, like the pretrained arm; the pictures come last, from the first seed.
  assert.deepEqual(jobs.map((j) => j.stage), ['prepare', 'baseline', 'pretrain', 'pseudo-label', 'pseudo-label', 'pictures']);
  const job = jobs.find((j) => j.arm === 'pseudo-label')!;
  await runHere(jobs.filter((j) => j.deps.length === 0 || j.stage === 'pretrain'), ctx);
  const split = readSplit(ctx, job);
  const labeled = labeledSubset(split, job.budget!, ctx.dataset.classNames);
  // Any test row in a training batch would make the loss NaN, and training stops with an error.
  for (const i of split.test) ctx.dataset.x.fill(Number.NaN, i * 64, (i + 1) * 64);
  // Scored on validation only, like a tuning trial: scoring the poisoned test rows would (rightly) fail.
  await runHere([{ ...job, params: { ...(job.params as object), scoreTest: false } }], ctx);
  const curve = ctx.store.readJson<EpochLog[]>('pseudo-label', job.key, 'curve.json');
  assert.ok(curve.length > 0 && curve.every((e) => Number.isFinite(e.loss)));
  const record = ctx.store.readJson<{ unlabeled: number }>('pseudo-label', job.key, 'pseudo-labels.json');
  assert.equal(record.unlabeled, split.pool.length - labeled.length);
  assert.deepEqual(armJobs(jobs).map((j) => j.arm).sort(), ['baseline', 'pseudo-label', 'step-matched']);
});

test('selfTrain reads only the labeled and unlabeled rows it is given; the same seeds give the same weights', async () => {
  await tf.setBackend('cpu');
  const data = tinyImages();
  const labeled = Int32Array.from([0, 1, 2, 3, 4, 5, 6, 7]);
  const unlabeled = Int32Array.from({ length: 40 }, (_, i) => 20 + i);
  const x = Float32Array.from(data.x);
  const used = new Set([...labeled, ...unlabeled]);
  for (let i = 0; i < data.y.length; i++) if (!used.has(i)) x.fill(Number.NaN, i * 64, (i + 1) * 64);
  const run = async (decay: 'none' | 'cosine' = 'none', labeledShift = 0, noiseSeed = 3, rampStart = 0) => {
    const model = buildClassifier(buildEncoder({ inputKind: 'image', features: 64, inputShape: [8, 8, 1], hidden: 8, latent: 4 }, 5), 4, 5);
    const logs = await selfTrain({
      model, x, features: 64, labeled, y: data.y, classCount: 4, unlabeled, steps: 10, batchSize: 4, unlabeledBatchSize: 8, learningRate: 0.01,
      threshold: 0, weight: 1, rampStart, rampEnd: Math.max(rampStart, 2), noise: 0.3, shift: 1, imageShape: [8, 8, 1], decay, labeledShift,
      labeledRng: createRng(1), unlabeledRng: createRng(2), noiseRng: createRng(noiseSeed), logEvery: 5,
    });
    const weights = model.getWeights().map((w) => Array.from(w.dataSync()));
    model.dispose();
    return { logs, weights };
  };
  const before = tf.memory().numTensors;
  const a = await run();
  assert.equal(tf.memory().numTensors, before, 'no tensors left behind');
  const b = await run();
  assert.equal(a.logs.length, 2);
  assert.ok(a.logs.every((l) => Number.isFinite(l.loss)), 'a NaN row was read');
  assert.equal(a.logs[1].confidentShare, 1, 'threshold 0: every unlabeled row counts');
  assert.deepEqual(a.weights, b.weights);
  assert.deepEqual(a.logs, b.logs);
  // The cosine schedule does change the steps Adam takes, and --augment-shift reaches the labeled batches.
  assert.notDeepEqual((await run('cosine')).weights, a.weights);
  assert.notDeepEqual((await run('none', 1)).weights, a.weights);
  // The labeled images' shifts come from the labeled stream (the one every arm shares), not the corruption stream:
  // with the unlabeled loss off for all 10 steps, another corruption seed leaves the weights bit-identical.
  assert.deepEqual((await run('none', 1, 4, 10)).weights, (await run('none', 1, 3, 10)).weights);
  // On wasm (fused Adam) too: the schedule reaches the optimiser, and nothing is left behind.
  await initWasmBackend();
  const wasmBefore = tf.memory().numTensors;
  const onWasm = await run();
  assert.equal(tf.memory().numTensors, wasmBefore, 'no tensors left behind on wasm');
  assert.notDeepEqual((await run('cosine')).weights, onWasm.weights);
  await tf.setBackend('cpu');
});

test('the pseudo-label arm is deterministic for a seed', async () => {
  const config = tinyConfig({ labelsPerClass: [3], arms: ['pseudo-label'], pseudoThreshold: 0.5 });
  const rows = [];
  for (let k = 0; k < 2; k++) {
    const { jobs, ctx } = await runTinyPlan(config);
    const job = jobs.find((j) => j.arm === 'pseudo-label')!;
    const read = (file: string) => ctx.store.read('pseudo-label', job.key, file).toString('utf8');
    rows.push({ accuracy: JSON.parse(read('score.json')).accuracy, curve: read('curve.json'), weights: [...ctx.store.read('pseudo-label', job.key, 'weights.bin')], record: read('pseudo-labels.json') });
  }
  assert.deepEqual(rows[0], rows[1]);
});

test('the pseudo-label arm brings its step-matched control: the baseline\'s encoder, the same steps, no unlabeled data, keyed only by what it uses', async () => {
  const facts = factsOf(tinyImages());
  const jobs = buildPlan(tinyConfig({ labelsPerClass: [3], arms: ['pseudo-label'] }), facts, 'cpu');
  const control = jobs.find((j) => j.arm === 'step-matched')!;
  assert.equal(control.stage, 'pseudo-label');
  assert.equal(control.inputs.pretrain, undefined, 'the control starts from the random initialisation, not the pretrained encoder');
  assert.ok(jobs.find((j) => j.arm === 'pseudo-label')!.inputs.pretrain);
  const keyOf = (overrides: Partial<PipelineConfig>) => buildPlan(tinyConfig({ labelsPerClass: [3], arms: ['pseudo-label'], ...overrides }), facts, 'cpu').find((j) => j.arm === 'step-matched')!.key;
  assert.equal(keyOf({ pseudoThreshold: 0.7, pseudoWeight: 2, pseudoNoise: 0.1 }), control.key, 'settings of the unlabeled loss do not key the control');
  assert.notEqual(keyOf({ pseudoSteps: 24 }), control.key, 'the step budget does');
  // It trains: a curve over its steps, a score, and no pseudo-label record.
  const { ctx } = await runTinyPlan(tinyConfig({ labelsPerClass: [3], arms: ['pseudo-label'] }));
  const curve = ctx.store.readJson<EpochLog[]>('pseudo-label', control.key, 'curve.json');
  assert.equal(curve.length, 12);
  assert.ok(ctx.store.check('pseudo-label', control.key).ok);
  assert.ok(!fsExists(ctx.store.entryDir('pseudo-label', control.key), 'pseudo-labels.json'));
});

test('pseudo-label helpers: the unlabeled pool, Lee\'s ramp', () => {
  assert.deepEqual(Array.from(unlabeledPool(Int32Array.from([1, 2, 3, 4]), Int32Array.from([2, 4]))), [1, 3]);
  assert.deepEqual([0, 9, 10, 15, 20, 30].map((t) => rampWeight(t, 10, 20, 3)), [0, 0, 0, 1.5, 3, 3]);
});

import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { test } from 'node:test';
import * as tf from '#tfjs';
import { startBackend } from '../src/backend/start-backend.ts';
import { buildConvModels, BENCH_ENCODERS, type BenchEncoder } from '../src/bench/encoders.ts';
import { inferenceFlopsPerSample, trainingFlopsPerSample } from '../src/bench/flops.ts';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import {
  digitData, measureBatchPrep, measureInference, measureMatmulCeiling, measureStepTimes, measureTraining, profileTraining, syntheticData, usesFusedStep,
} from '../src/bench/measure.ts';
import { breakdownOf, formatBreakdown, readRunOutputs, type TimedLine } from '../src/bench/sweep-breakdown.ts';
import { median, samplesForDuration } from '../src/bench/stats.ts';
import { formatNumber, formatTable } from '../src/bench/table.ts';
import { benchBackend, checkTargets, formatReport, type BenchReport } from '../pipeline/bench.ts';
import { timeImageLoading } from '../src/bench/image-loading.ts';
import { watchPeakMemory } from '../src/bench/process-memory.ts';

await startBackend('auto');

test('median of odd and even lists, unsorted input, and an empty list is an error', () => {
  assert.equal(median([3, 1, 2]), 2);
  assert.equal(median([4, 1, 3, 2]), 2.5);
  assert.equal(median([7]), 7);
  assert.throws(() => median([]), /empty/);
});

test('samplesForDuration gives whole batches, at least the minimum, and a bounded count', () => {
  assert.equal(samplesForDuration(1000, 1, 128), 1024); // 1000 samples → 8 batches
  assert.equal(samplesForDuration(10, 1, 128), 256); // slow: the 2-batch minimum
  assert.equal(samplesForDuration(Number.NaN, 1, 32), 64);
  assert.equal(samplesForDuration(1e9, 1, 128, 2, 4096), 4096);
});

test('formatTable aligns columns: text left, numbers right, a rule under the header', () => {
  const text = formatTable(['name', 'rate'], [['wasm', formatNumber(12345)], ['cpu', formatNumber(7)]]);
  const lines = text.split('\n');
  assert.deepEqual(lines, [
    'name    rate',
    '----  ------',
    'wasm  12,345',
    'cpu        7',
  ]);
  assert.equal(formatNumber(Number.NaN), '–');
  assert.equal(formatNumber(1.25, 1), '1.3');
});

test('training FLOPs of the dense autoencoder are 6 × Σ in×out per sample', () => {
  const mlp = BENCH_ENCODERS.find((e) => e.name === 'mlp')!;
  const { autoencoder, classifier } = mlp.build(1);
  assert.equal(trainingFlopsPerSample(autoencoder), 6 * (784 * 256 + 256 * 64 + 64 * 256 + 256 * 784));
  assert.equal(inferenceFlopsPerSample(classifier), 2 * (784 * 256 + 256 * 64 + 64 * 10));
  autoencoder.dispose();
  classifier.dispose();
});

test('conv FLOPs count output pixels for conv2d and input pixels for conv2dTranspose', () => {
  const { autoencoder, classifier } = buildConvModels(1);
  const conv = 2 * (14 * 14 * 9 * 1 * 32 + 7 * 7 * 9 * 32 * 64);
  const dense = 2 * (7 * 7 * 64 * 64 + 64 * 7 * 7 * 64);
  const deconv = 2 * (7 * 7 * 9 * 32 * 64 + 14 * 14 * 9 * 1 * 32);
  assert.equal(inferenceFlopsPerSample(autoencoder), conv + dense + deconv);
  assert.deepEqual(autoencoder.outputs[0].shape, [null, 784]);
  assert.deepEqual(classifier.outputs[0].shape, [null, 10]);
  autoencoder.dispose();
  classifier.dispose();
});

/** A tiny dense encoder entry, so the smoke tests run in well under a second per measurement. */
const tinyEncoder: BenchEncoder = {
  name: 'tiny', describe: 'dense 16-8-16', features: 16, classCount: 4,
  build: () => {
    const autoencoder = tf.sequential({ layers: [tf.layers.dense({ inputShape: [16], units: 8, activation: 'relu' }), tf.layers.dense({ units: 16, activation: 'sigmoid' })] });
    const classifier = tf.sequential({ layers: [tf.layers.dense({ inputShape: [16], units: 8, activation: 'relu' }), tf.layers.dense({ units: 4, activation: 'softmax' })] });
    return { autoencoder, classifier };
  },
};
const quick = { repeats: 1, secondsPerRepeat: 0.01 };

test('the measurement functions run on tiny sizes and return finite positive numbers, leaving no tensors', async () => {
  const before = tf.memory().numTensors;
  const data = syntheticData(40, 16, 4, 1);
  const { autoencoder, classifier } = tinyEncoder.build(1);
  const pretrain = await measureTraining(autoencoder, 'reconstruct', data, 8, quick);
  const finetune = await measureTraining(classifier, 'classes', data, 8, quick);
  const inference = await measureInference(classifier, data, 16, quick);
  for (const rate of [pretrain, finetune, inference]) {
    assert.ok(Number.isFinite(rate.perSecond) && rate.perSecond > 0, `rate ${rate.perSecond}`);
    assert.ok(Number.isFinite(rate.perCpuSecond) && rate.perCpuSecond > 0);
  }
  assert.equal(pretrain.tensorsLeft, 0);
  assert.equal(finetune.tensorsLeft, 0);
  const ceiling = await measureMatmulCeiling([{ m: 8, k: 16, n: 8 }], quick);
  assert.ok(Number.isFinite(ceiling.gflops) && ceiling.gflops > 0);
  const profile = await profileTraining(autoencoder, 'reconstruct', data, 8, 2, 1);
  const shares = profile.matmulShare + profile.otherKernelShare + profile.outsideKernelShare;
  assert.ok(Math.abs(shares - 1) < 1e-9, `shares sum to ${shares}`);
  assert.ok(profile.matmulShare > 0);
  const prep = measureBatchPrep(data, 8, 40, 1);
  assert.ok(Number.isFinite(prep.secondsPerSample) && prep.secondsPerSample > 0);
  assert.equal(prep.path, 'taped');
  // Given the model, it times the path fit() takes for it on this backend.
  const prepAsFit = measureBatchPrep(data, 8, 40, 1, 'reconstruct', autoencoder);
  assert.ok(Number.isFinite(prepAsFit.secondsPerSample) && prepAsFit.secondsPerSample > 0);
  assert.equal(prepAsFit.path, usesFusedStep(autoencoder, 'reconstruct', data, 8) ? 'fused' : 'taped');
  if (tf.getBackend() === 'wasm') assert.equal(prepAsFit.path, 'fused', 'a chain of dense layers trains in the fused step on wasm');
  autoencoder.dispose();
  classifier.dispose();
  assert.equal(tf.memory().numTensors, before);
});

test('benchBackend measures an encoder on a backend and the report prints it with the targets', async () => {
  const workers = (a: number, b: number) => [{ pid: 1, command: 'scripts/start.mjs pipeline/run.ts', peakMb: 150 }, { pid: 2, command: 'pipeline/worker.js --cache-dir x', peakMb: a }, { pid: 3, command: 'pipeline/worker.js --cache-dir x', peakMb: b }];
  const pipelineRun = { jobs: 2, args: [], seconds: 100, cachedSeconds: 1.2, exitCode: 0, memory: workers(300, 280) };
  const fullMnist = { jobs: 2, args: ['--dataset', 'idx'], seconds: 50, exitCode: 0, memory: [...workers(360, 340), { pid: 4, command: 'scripts/start.mjs pipeline/run.ts', peakMb: 500 }] };
  const startup = { versionSeconds: 0.4, helpSeconds: 0.6, renderedHelpSeconds: 0.7, repeats: 3 };
  const log: string[] = [];
  const result = await benchBackend('cpu', [tinyEncoder], { ...quick, profileBatches: 2, matmulShapes: [{ m: 8, k: 8, n: 8 }] }, (line) => log.push(line));
  const missing = await benchBackend('native', [tinyEncoder], { ...quick, profileBatches: 2, matmulShapes: [{ m: 8, k: 8, n: 8 }] }, (line) => log.push(line));
  await startBackend('auto');
  assert.equal(result.models.length, 1);
  const model = result.models[0];
  assert.ok(model.pretrainGflops > 0 && model.ceilingShare > 0 && model.trainFlopsPerSample === 6 * (16 * 8 + 8 * 16));
  const report: BenchReport = {
    createdAt: new Date(0).toISOString(), command: 'test', loadAverageAtEnd: [0, 0, 0], peakRssMb: 1, problems: [],
    machine: { cpuModel: 'test cpu', cores: 2, memoryGb: 1, platform: 'test', node: 'v20', versions: {}, loadAverage: [0, 0, 0] },
    options: { repeats: 1, secondsPerRepeat: 0.01, profileBatches: 2, backends: ['cpu'], encoders: ['tiny'], pipeline: false, includeSlow: false, images: 0, outDir: '' },
    backends: [result, missing], pipeline: [pipelineRun], startup, fullMnist,
    targets: checkTargets([result], [pipelineRun], undefined, startup, fullMnist),
  };
  // A 'tiny' encoder has no target; the pipeline's, start-up's and full MNIST's apply.
  assert.deepEqual(report.targets.map((t) => [t.what, t.met]), [
    ['default pipeline, cold cache, --jobs 2', true], ['pipeline --version', true], ['pipeline --help', false],
    ['default pipeline again, everything cached', true], ['full MNIST --jobs 2, peak memory per job', false],
  ]);
  assert.match(report.targets.at(-1)!.measured, /^360 MB \(largest of 2 workers\)$/, 'the coordinator is not a job');
  const text = formatReport(report);
  assert.match(text, /cpu\s+tiny\s+[\d,]+/);
  assert.match(text, /--jobs 2\s+100\.0\s+1\.20\s+0\s+main 150, worker 300, worker 280/);
  assert.match(text, /--version 0\.40 s, --help 0\.60 s \(rendered, as the first after a build: 0\.70 s\)/);
  if (missing.unavailable) assert.match(text, /native: not measured/);
});

test('on wasm the tiny dense models take the fused step: its profile times our kernels, and one step is timed fused and taped', async () => {
  await startBackend('wasm');
  const before = tf.memory().numTensors;
  const data = syntheticData(40, 16, 4, 1);
  const { autoencoder, classifier } = tinyEncoder.build(1);
  assert.ok(usesFusedStep(classifier, 'classes', data, 8) && usesFusedStep(autoencoder, 'reconstruct', data, 8));
  const profile = await profileTraining(classifier, 'classes', data, 8, 2, 1);
  assert.equal(profile.path, 'fused');
  assert.ok(profile.matmulShare > 0 && profile.topOther.some((k) => k.kernel === 'adam'), JSON.stringify(profile));
  const steps = await measureStepTimes(classifier, 'classes', data, 8, quick);
  for (const value of Object.values(steps)) assert.ok(Number.isFinite(value) && value >= 0, JSON.stringify(steps));
  assert.ok(steps.tapedKernelMicros <= steps.tapedMicros);
  autoencoder.dispose();
  classifier.dispose();
  assert.equal(tf.memory().numTensors, before);
  const digits = digitData(3);
  assert.equal(digits.x.length, 3 * digits.features);
  assert.ok(digits.x.some((v) => v === 0) && digits.x.some((v) => v > 0.5), 'digits: blank and inked pixels');
  await startBackend('auto');
});

test('the sweep breakdown splits a run\'s wall time by its time-stamped lines and its outputs, parts adding up to the wall time', () => {
  const lines: TimedLine[] = [
    { seconds: 1.2, text: 'backend: wasm' },
    { seconds: 2.0, text: 'dataset: embedded-mnist, 10000 samples (0.8 s)' },
    { seconds: 2.1, text: 'prepare seed 1: running' },
    { seconds: 2.1, text: 'prepare seed 1: done in 0.0 s' },
    { seconds: 2.1, text: 'pretrain seed 1: running' },
    { seconds: 12.3, text: '  pretrain seed 1: epoch 20/20, loss 0.0990' },
    { seconds: 12.4, text: 'pretrain seed 1: done in 10.2 s' },
    { seconds: 12.4, text: 'finetune seed 1 fraction 0.01: running' },
    { seconds: 13.5, text: 'finetune seed 1 fraction 0.01: done in 1.0 s' },
    { seconds: 13.5, text: 'baseline seed 1 fraction 0.01: running' },
    { seconds: 14.6, text: 'baseline seed 1 fraction 0.01: done in 1.1 s' },
    { seconds: 16.0, text: 'report written to report/report.html (and report.md beside it)' },
  ];
  const breakdown = breakdownOf(lines, 16.1, {
    pretrainFits: [9.5], classifierFits: [{ seconds: 0.8, labeled: 80, epochs: 50 }, { seconds: 0.9, labeled: 80, epochs: 50 }],
    poolSize: 8000, pretrainEpochs: 20, pretrainBatchSize: 128, batchSize: 32,
  });
  const part = (prefix: string) => breakdown.rows.find((r) => r.part.startsWith(prefix));
  assert.equal(part('start-up')?.seconds, 1.2);
  assert.ok(Math.abs(part('dataset')!.seconds - 0.8) < 1e-9);
  assert.equal(part('pretraining: fit')?.seconds, 9.5);
  assert.match(part('pretraining: fit')!.detail, /160,000 samples at batch 128/);
  assert.ok(Math.abs(part('pretraining: pictures')!.seconds - 0.7) < 1e-9);
  assert.ok(Math.abs(part('classifiers: fit')!.seconds - 1.7) < 1e-9);
  assert.match(part('classifiers: fit')!.detail, /300 steps at batch 32: 5,667 µs each, with the validation check after every epoch/);
  assert.ok(Math.abs(part('report')!.seconds - 1.4) < 1e-9);
  const total = breakdown.rows.reduce((p, r) => p + r.seconds, 0);
  assert.ok(Math.abs(total - 16.1) < 1e-9, `parts add up to ${total}`);
  assert.match(formatBreakdown(breakdown), /total \(wall clock\)\s+16\.1\s+100 %/);
});

test('readRunOutputs finds fit timings in a run\'s cache and its report\'s params.json', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'semisup-breakdown-'));
  const write = (file: string, value: unknown) => {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    fs.writeFileSync(file, JSON.stringify(value));
  };
  write(path.join(root, 'cache', 'pretrain', 'k1', 'summary.json'), { trainSeconds: 3.5 });
  write(path.join(root, 'cache', 'finetune', 'k2', 'score.json'), { trainSeconds: 0.5, labeled: 80, epochs: 50 });
  write(path.join(root, 'cache', 'baseline', 'k3', 'score.json'), { trainSeconds: 0.25, labeled: 400, epochs: 50 });
  write(path.join(root, 'report', 'params.json'), { config: { pretrainEpochs: 20, batchSize: 32, pretrainBatchSize: 128 }, dataset: { poolSize: 8000 } });
  const outputs = readRunOutputs(path.join(root, 'cache'), path.join(root, 'report'));
  assert.deepEqual(outputs.pretrainFits, [3.5]);
  assert.deepEqual(outputs.classifierFits.map((f) => f.seconds).sort(), [0.25, 0.5]);
  assert.equal(outputs.poolSize, 8000);
  assert.equal(outputs.batchSize, 32);
  fs.rmSync(root, { recursive: true, force: true });
});

test('the image-loading benchmark decodes a folder of PNGs cold, then hits the dataset cache; its targets apply at 20,000 images', async () => {
  const timing = await timeImageLoading(60, 2);
  assert.equal(timing.images, 60);
  assert.equal(timing.warmRepeats, 2);
  for (const value of [timing.coldSeconds, timing.coldCpuSeconds, timing.warmSeconds, timing.warmCpuSeconds]) assert.ok(Number.isFinite(value) && value > 0);
  assert.deepEqual(checkTargets([], [], timing), [], 'targets are for 20,000 images only');
  const full = { ...timing, images: 20_000, coldSeconds: 12, warmSeconds: 1.5 };
  assert.deepEqual(checkTargets([], [], full).map((t) => [t.what, t.met]), [['load 20,000 PNGs, empty cache', true], ['load 20,000 PNGs, cached', false]]);
});

test('watchPeakMemory finds a command\'s child processes and the most memory each held', { skip: process.platform !== 'linux' && 'reads /proc' }, async () => {
  const script = 'const held = Buffer.alloc(120 * 2 ** 20, 1); setTimeout(() => console.log(held[0]), 400);';
  const parent = spawn(process.execPath, ['-e', `require('child_process').spawn(process.execPath, ['-e', ${JSON.stringify(script)}], { stdio: 'inherit' })`], { stdio: 'ignore' });
  const watch = watchPeakMemory(parent.pid!, 20);
  await once(parent, 'close');
  await new Promise((resolve) => setTimeout(resolve, 600));
  const peaks = watch.stop();
  const child = peaks.find((p) => p.command.includes('Buffer.alloc'));
  assert.ok(child, `no child among ${JSON.stringify(peaks)}`);
  assert.ok(child.peakMb > 120 && child.peakMb < 400, `child peak ${child.peakMb} MB`);
  assert.ok(peaks.some((p) => p.pid === parent.pid && p.peakMb < child.peakMb));
});

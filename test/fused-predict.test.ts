import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '#tfjs';
import { sampledZeroShare, SPARSE_ZEROS_PAY } from '../src/backend/simd-kernels.ts';
import { initWasmBackend } from '../src/backend/wasm-kernels.ts';
import type { Dataset, FeatureValues } from '../src/data/dataset.ts';
import { buildDecoder, buildEncoder, joinAutoencoder, type AutoencoderSpec } from '../src/models/autoencoder.ts';
import { buildClassifier } from '../src/models/classifier.ts';
import { ROWS_PER_PASS } from '../src/models/latent-scale.ts';
import { epochSelection } from '../src/train/epoch-selection.ts';
import { fit, predictRows, type RowPredictor, type Target } from '../src/train/fit.ts';
import { createFusedDenseStep } from '../src/train/fused-dense-step.ts';
import { createRng } from '../src/util/rng.ts';

// The fused step's predictRows stands in for model.predict in the check after every epoch, so it
// must give model.predict's bits exactly: tfjs computes a Dense layer differently in inference
// (bias and ReLU fused into the matMul) than in training. Odd sizes leave rows and columns over
// in every kernel; row counts below, at and above the step's batch.
const FEATURES = 45;
const ROWS = 83;
const CLASSES = 7;
const BATCH = 16;
const SPEC: AutoencoderSpec = { inputKind: 'image', features: FEATURES, hidden: 19, latent: 11 };

/** Pixel-like rows, `zeros` of the values exactly 0 (row 0 entirely), the rest in (0, 1]; as bytes (value·255) when asked. */
function data(zeros: number, seed: number, asBytes = false): { x: FeatureValues; y: Int32Array; indices: Int32Array } {
  const rng = createRng(seed);
  const x = Float32Array.from({ length: ROWS * FEATURES }, (_, i) => (i < FEATURES || rng.next() < zeros ? 0 : 1 - rng.next()));
  const y = Int32Array.from({ length: ROWS }, (_, i) => i % CLASSES);
  return { x: asBytes ? Uint8Array.from(x, (v) => Math.round(v * 255)) : x, y, indices: Int32Array.from({ length: ROWS }, (_, i) => (i * 17) % ROWS) };
}

const bits = (values: Float32Array): number[] => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));

before(async () => {
  tf.enableProdMode();
  await initWasmBackend();
});
after(async () => {
  await tf.setBackend('wasm');
});

const classifier = (depth: number) => () => buildClassifier(buildEncoder({ ...SPEC, depth }, 4), CLASSES, 4);
const autoencoder = () => joinAutoencoder(buildEncoder(SPEC, 3), buildDecoder(SPEC, 3));
const classes = (y: Int32Array): Target => ({ kind: 'classes', y, classCount: CLASSES });
const reconstruct: Target = { kind: 'reconstruct', noise: 0.3, loss: 'binary-crossentropy' };

const MODELS = [
  { label: 'classifier', build: classifier(1), target: classes, loss: 'softmax' as const },
  { label: 'classifier, two hidden layers', build: classifier(2), target: classes, loss: 'softmax' as const },
  { label: 'autoencoder (sigmoid output)', build: autoencoder, target: () => reconstruct, loss: 'sigmoid-logits' as const },
];
const INPUTS = [
  { label: 'sparse floats', zeros: 0.8, asBytes: false },
  { label: 'dense floats', zeros: 0, asBytes: false },
  { label: 'sparse bytes', zeros: 0.7, asBytes: true },
];

for (const m of MODELS) {
  test(`${m.label}: the fused step's predictRows equals model.predict bit for bit (sparse and dense inputs, floats and bytes, 1 to 3 batches of rows)`, async () => {
    for (const input of INPUTS) {
      const { x, y, indices } = data(input.zeros, 11, input.asBytes);
      const label = `${m.label}, ${input.label}`;
      // The sparse first layer runs where the training rows are mostly zeros (createFusedDenseStep's rule).
      const zeroShare = sampledZeroShare(x, Math.min(ROWS, 64), FEATURES, (row) => indices[row] * FEATURES);
      assert.equal(zeroShare >= SPARSE_ZEROS_PAY, input.zeros > 0.5, `${label}: zero share ${zeroShare}`);
      const before = tf.memory().numTensors;
      const model = m.build();
      // Trained weights and biases (no longer zero), as the check after an epoch sees them.
      await fit({ model, x, features: FEATURES, indices, target: m.target(y), epochs: 2, batchSize: BATCH, learningRate: 0.01, rng: createRng(5) });
      const step = createFusedDenseStep({ model, x, features: FEATURES, indices, batchSize: BATCH, loss: m.loss, groups: [] });
      assert.ok(step != null, `${label}: the fused step does not apply`);
      try {
        for (const rows of [1, BATCH, 41]) {
          const some = Int32Array.from({ length: rows }, (_, i) => (i * 29) % ROWS).reverse(); // row 0 (all zeros) last
          const expected = await predictRows(model, x, FEATURES, some);
          assert.deepEqual(bits(step.predictRows(x, FEATURES, some)), bits(expected), `${label}, ${rows} rows`);
        }
      } finally {
        step.dispose();
        model.dispose();
      }
      assert.equal(tf.memory().numTensors, before, `${label}: tensors left`);
    }
  });
}

/** A classifier trained with fit() and epoch selection (best-val) on the validation rows, its check predicting through `predictor`. */
async function trainWithCheck(predictor: 'fit' | 'model.predict') {
  const { x, y, indices } = data(0.75, 21, true);
  const dataset: Dataset = { name: 'rows', x, y, inputShape: [FEATURES], classNames: Array.from({ length: CLASSES }, (_, c) => `c${c}`) };
  const train = indices.slice(0, 60);
  const validation = indices.slice(60); // 23 rows: a batch and a short one
  const model = classifier(1)();
  const selection = epochSelection(model, dataset, validation, 'best-val');
  let compared = 0;
  try {
    const logs = await fit({
      model, x, features: FEATURES, indices: train, target: classes(y), epochs: 8, batchSize: BATCH, learningRate: 0.01, rng: createRng(6),
      evaluate: async (epoch: number, predict: RowPredictor) => {
        if (predictor === 'model.predict') return selection.evaluate(epoch);
        // Every epoch's weights give fit()'s predictions model.predict's bits, and fit() predicts
        // through the fused step: on the heap, with no kernel through tfjs's engine.
        // (tf.profile returns one shared record, so each count is taken before the next profile.)
        const kernelsThroughEngine = async (run: () => Promise<unknown>) => (await tf.profile(async () => (await run(), []))).kernels.map((k) => k.name);
        assert.deepEqual(bits(await predict(x, FEATURES, validation)), bits(await predictRows(model, x, FEATURES, validation)), `epoch ${epoch}`);
        assert.deepEqual(await kernelsThroughEngine(() => predict(x, FEATURES, validation)), [], `epoch ${epoch}: fit()'s predictions went through the engine`);
        assert.ok((await kernelsThroughEngine(() => predictRows(model, x, FEATURES, validation))).length > 0, 'model.predict goes through the engine (so the check above can fail)');
        compared++;
        return selection.evaluate(epoch, predict);
      },
    });
    const selected = selection.select();
    const weights = model.getWeights().map((w) => bits(w.dataSync() as Float32Array));
    return { logs, selected, weights, compared };
  } finally {
    selection.dispose();
    model.dispose();
  }
}

test('fit(): the validation check through the fused step gives the same logs, chosen epoch and weights as through model.predict', async () => {
  const before = tf.memory().numTensors;
  const fused = await trainWithCheck('fit');
  const stock = await trainWithCheck('model.predict');
  assert.equal(tf.memory().numTensors, before, 'tensors left');
  assert.equal(fused.compared, 8);
  assert.deepEqual(fused.logs, stock.logs);
  assert.deepEqual(fused.selected, stock.selected);
  assert.deepEqual(fused.weights, stock.weights);
  // The comparison means something: accuracy changed over the epochs, and best-val chose an epoch.
  assert.ok(new Set(stock.logs.map((l) => l.valAccuracy)).size > 1, `validation accuracy never changed: ${stock.logs.map((l) => l.valAccuracy)}`);
  assert.ok(stock.selected.epoch != null);
});

test('a row\'s code is the same whatever rows share its forward pass (latent-scale.ts measures in passes of ROWS_PER_PASS), mlp and conv', () => {
  const specs: AutoencoderSpec[] = [
    { ...SPEC, encoder: 'mlp' },
    { inputKind: 'image', features: 8 * 8, inputShape: [8, 8, 1], hidden: 16, latent: 6, encoder: 'conv' },
  ];
  for (const spec of specs) {
    const encoder = buildEncoder(spec, 5);
    const rng = createRng(9);
    const rows = 300;
    const x = tf.tensor2d(Float32Array.from({ length: rows * spec.features }, () => (rng.next() < 0.7 ? 0 : rng.next())), [rows, spec.features]);
    const codes = [32, ROWS_PER_PASS, rows].map((batchSize) => tf.tidy(() => encoder.predict(x, { batchSize }) as tf.Tensor).dataSync() as Float32Array);
    assert.deepEqual(bits(codes[1]), bits(codes[0]), `${spec.encoder}: ${ROWS_PER_PASS} rows a pass`);
    assert.deepEqual(bits(codes[2]), bits(codes[0]), `${spec.encoder}: all rows in one pass`);
    x.dispose();
    tf.dispose(encoder.getWeights());
  }
});

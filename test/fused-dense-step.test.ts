import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '#tfjs';
import { initWasmBackend } from '../src/backend/wasm-kernels.ts';
import { buildDecoder, buildEncoder, joinAutoencoder, type AutoencoderSpec } from '../src/models/autoencoder.ts';
import { buildClassifier, HEAD_LAYER } from '../src/models/classifier.ts';
import { denseChainOf } from '../src/train/dense-chain.ts';
import { fit, type FitOptions, type Target } from '../src/train/fit.ts';
import { createFusedDenseStep } from '../src/train/fused-dense-step.ts';
import { createRng } from '../src/util/rng.ts';

// The fused step must give exactly the taped step's numbers: the same weights bit for bit after
// several epochs, and the same logged loss and accuracy. Sizes are odd (leftover rows and
// columns in every kernel) and the last batch is short.
const FEATURES = 45;
const ROWS = 83;
const CLASSES = 7;
const SPEC: AutoencoderSpec = { inputKind: 'image', features: FEATURES, hidden: 19, latent: 11 };

/** Pixel-like rows: `zeros` of the values are exactly 0, the rest in (0, 1]. */
function data(zeros: number, seed: number): { x: Float32Array; y: Int32Array; indices: Int32Array } {
  const rng = createRng(seed);
  const x = Float32Array.from({ length: ROWS * FEATURES }, () => (rng.next() < zeros ? 0 : 1 - rng.next()));
  const y = Int32Array.from({ length: ROWS }, (_, i) => i % CLASSES);
  return { x, y, indices: Int32Array.from({ length: ROWS }, (_, i) => (i * 17) % ROWS) };
}

const bits = (values: Float32Array): number[] => Array.from(new Uint32Array(values.buffer, values.byteOffset, values.length));

/** Train a fresh model from `build` with fit(), fused or taped; returns every weight's values and the epoch logs. */
async function train(build: () => tf.LayersModel, options: (model: tf.LayersModel) => Omit<FitOptions, 'model' | 'rng'>, fusedStep: boolean) {
  const model = build();
  const logs = await fit({ ...options(model), model, rng: createRng(5), fusedStep });
  const weights = model.getWeights().map((w) => w.dataSync() as Float32Array);
  model.dispose();
  return { weights, logs };
}

async function assertSame(label: string, build: () => tf.LayersModel, options: (model: tf.LayersModel) => Omit<FitOptions, 'model' | 'rng'>): Promise<void> {
  // The fused path really runs for this model and loss (else the comparison would be of taped with taped).
  const probe = build();
  const { x, features, indices, batchSize, target } = options(probe);
  const step = createFusedDenseStep({ model: probe, x, features, indices, batchSize, loss: target.kind === 'classes' ? 'softmax' : 'sigmoid-logits', groups: [] });
  assert.ok(step != null, `${label}: the fused step does not apply`);
  step.dispose();
  probe.dispose();
  const before = tf.memory().numTensors;
  const taped = await train(build, options, false);
  const fused = await train(build, options, true);
  assert.equal(tf.memory().numTensors, before, `${label}: tensors left`);
  assert.deepEqual(fused.logs, taped.logs, `${label}: epoch logs`);
  assert.equal(fused.weights.length, taped.weights.length);
  taped.weights.forEach((w, i) => assert.deepEqual(bits(fused.weights[i]), bits(w), `${label}: weight ${i} differs`));
  // Training moved the weights: the comparison is not of two untrained models.
  const start = build();
  const initial = start.getWeights().map((w) => w.dataSync() as Float32Array);
  start.dispose();
  assert.ok(taped.weights.some((w, i) => w.some((v, j) => v !== initial[i][j])), `${label}: weights did not change`);
}

before(async () => {
  tf.enableProdMode();
  await initWasmBackend();
});
after(async () => {
  await tf.setBackend('wasm');
});

const reconstruct: Target = { kind: 'reconstruct', noise: 0.3, loss: 'binary-crossentropy' };
const autoencoder = (depth: number) => () => joinAutoencoder(buildEncoder({ ...SPEC, depth }, 3), buildDecoder({ ...SPEC, depth }, 3));

/** The rows of data() as image bytes (byte/255 is what training reads; the fused step converts them in the heap). */
function byteData(zeros: number, seed: number): { x: Uint8Array; y: Int32Array; indices: Int32Array } {
  const { x, y, indices } = data(zeros, seed);
  return { x: Uint8Array.from(x, (v) => Math.round(v * 255)), y, indices };
}

for (const [zeros, kind] of [[0.8, 'sparse'], [0, 'dense']] as const) {
  test(`denoising autoencoder, ${kind} inputs: the fused step's weights and losses equal the taped step's bit for bit`, async () => {
    const { x, indices } = data(zeros, 11);
    await assertSame(`autoencoder ${kind}`, autoencoder(1), () => ({ x, features: FEATURES, indices, target: reconstruct, epochs: 3, batchSize: 16, learningRate: 0.01 }));
  });
}

test('image bytes: the fused step (bytes made floats in the heap) equals the taped step (bytes made floats in JS), autoencoder and classifier', async () => {
  const { x, y, indices } = byteData(0.7, 13);
  assert.ok(x.some((v) => v > 0 && v < 255), 'bytes of every value, not only 0 and 255');
  await assertSame('autoencoder on bytes', autoencoder(1), () => ({ x, features: FEATURES, indices, target: reconstruct, epochs: 2, batchSize: 16, learningRate: 0.01 }));
  await assertSame('classifier on bytes', () => buildClassifier(buildEncoder(SPEC, 3), CLASSES, 4), () => ({ x, features: FEATURES, indices, target: { kind: 'classes', y, classCount: CLASSES }, epochs: 2, batchSize: 16, learningRate: 0.01 }));
});

test('a deeper autoencoder (two hidden layers each side) matches too', async () => {
  const { x, indices } = data(0.7, 12);
  await assertSame('autoencoder depth 2', autoencoder(2), () => ({ x, features: FEATURES, indices, target: reconstruct, epochs: 2, batchSize: 32, learningRate: 0.005 }));
});

const classifier = () => buildClassifier(buildEncoder(SPEC, 4), CLASSES, 4);

test('classifier: every weight trained, fused equals taped (loss, accuracy, weights)', async () => {
  const { x, y, indices } = data(0.8, 13);
  await assertSame('classifier', classifier, () => ({ x, features: FEATURES, indices, target: { kind: 'classes', y, classCount: CLASSES }, epochs: 4, batchSize: 32, learningRate: 0.01 }));
});

test('classifier with weight groups: head only, and encoder at its own learning rate', async () => {
  const { x, y, indices } = data(0.5, 14);
  const base = { x, features: FEATURES, indices, target: { kind: 'classes', y, classCount: CLASSES } as Target, epochs: 3, batchSize: 16, learningRate: 0.01 };
  const head = (model: tf.LayersModel) => model.getLayer(HEAD_LAYER).trainableWeights;
  const encoderWeights = (model: tf.LayersModel) => model.trainableWeights.filter((w) => !head(model).includes(w));
  await assertSame('head only', classifier, (model) => ({ ...base, groups: [{ weights: head(model), learningRate: 0.01 }] }));
  await assertSame('two groups', classifier, (model) => ({ ...base, groups: [{ weights: head(model), learningRate: 0.01 }, { weights: encoderWeights(model), learningRate: 0.001 }] }));
});

test('denseChainOf reads the mlp models as chains and refuses what is not one', () => {
  const ae = autoencoder(2)();
  assert.deepEqual(denseChainOf(ae)?.map((l) => `${l.name}:${l.activation}:${l.inputs}>${l.units}`), [
    'encoder_hidden_1:relu:45>38', 'encoder_hidden_2:relu:38>19', 'encoder_latent:linear:19>11',
    'decoder_hidden_1:relu:11>19', 'decoder_hidden_2:relu:19>38', 'decoder_output:sigmoid:38>45',
  ]);
  const cls = classifier();
  assert.deepEqual(denseChainOf(cls)?.map((l) => l.activation), ['relu', 'linear', 'softmax']);
  const classic = buildClassifier(buildEncoder({ ...SPEC, encoder: 'classic' }, 1), CLASSES, 1); // a sigmoid inside the chain
  const conv = buildEncoder({ inputKind: 'image', features: 64, inputShape: [8, 8, 1], encoder: 'conv', hidden: 8, latent: 4 }, 1);
  assert.equal(denseChainOf(classic), null);
  assert.equal(denseChainOf(conv), null);
  [ae, cls, classic, conv].forEach((m) => m.dispose());
});

test('createFusedDenseStep declines where the taped step must run', async () => {
  const { x, indices } = data(0.5, 15);
  const model = autoencoder(1)();
  const options = { model, x, features: FEATURES, indices, batchSize: 8, groups: [] };
  // Squared error (tables) is not fused; neither is a loss that does not match the output activation.
  assert.equal(createFusedDenseStep({ ...options, loss: 'other' }), null);
  assert.equal(createFusedDenseStep({ ...options, loss: 'softmax' }), null);
  // Not on wasm: tfjs's path.
  await tf.setBackend('cpu');
  assert.equal(createFusedDenseStep({ ...options, loss: 'sigmoid-logits' }), null);
  await tf.setBackend('wasm');
  const step = createFusedDenseStep({ ...options, loss: 'sigmoid-logits' });
  assert.ok(step != null);
  step.dispose();
  model.dispose();
});

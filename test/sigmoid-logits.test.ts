import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '#tfjs';
import { activeSimdKernels } from '../src/backend/simd-kernels.ts';
import { startBackend } from '../src/backend/start-backend.ts';
import { buildConvModels } from '../src/bench/encoders.ts';
import { buildDecoder, buildEncoder, joinAutoencoder, type AutoencoderSpec } from '../src/models/autoencoder.ts';
import { buildClassifier } from '../src/models/classifier.ts';
import { fit } from '../src/train/fit.ts';
import { meanSigmoidCrossEntropy, sigmoidCrossEntropyFromLogits, sigmoidOutputLayer } from '../src/train/sigmoid-logits.ts';
import { createRng } from '../src/util/rng.ts';
import { tinyImageDataset } from './fixtures/tiny-dataset.ts';

await startBackend('auto');
const spec: AutoencoderSpec = { inputKind: 'image', features: 64, hidden: 16, latent: 4 };
const data = tinyImageDataset(20, 4);
const all = Int32Array.from(data.y.keys());

test('the sigmoid output layer is found inside nested models and behind Flatten; softmax and linear outputs have none', () => {
  const autoencoder = joinAutoencoder(buildEncoder(spec, 1), buildDecoder(spec, 1));
  assert.equal(sigmoidOutputLayer(autoencoder)?.name, 'decoder_output');
  const conv = buildConvModels(1);
  assert.equal(sigmoidOutputLayer(conv.autoencoder)?.getClassName(), 'Conv2DTranspose');
  assert.equal(sigmoidOutputLayer(conv.classifier), null);
  assert.equal(sigmoidOutputLayer(buildClassifier(buildEncoder(spec, 1), 4, 1)), null);
  const table = joinAutoencoder(buildEncoder({ ...spec, inputKind: 'table' }, 1), buildDecoder({ ...spec, inputKind: 'table' }, 1));
  assert.equal(sigmoidOutputLayer(table), null);
  for (const m of [autoencoder, conv.autoencoder, conv.classifier, table]) m.dispose();
});

test('cross-entropy from logits equals binaryCrossentropy of the sigmoid output, and the activation is restored', () => {
  const autoencoder = joinAutoencoder(buildEncoder(spec, 1), buildDecoder(spec, 1));
  const layer = sigmoidOutputLayer(autoencoder)!;
  const before = tf.memory().numTensors;
  const [fromLogits, reference] = tf.tidy(() => {
    const x = tf.tensor2d(data.x.subarray(0, 32 * 64), [32, 64]);
    return [
      sigmoidCrossEntropyFromLogits(autoencoder, layer, x, x).dataSync()[0],
      tf.metrics.binaryCrossentropy(x, autoencoder.apply(x) as tf.Tensor).mean().dataSync()[0],
    ];
  });
  assert.ok(Math.abs(fromLogits - reference) < 1e-6, `${fromLogits} vs ${reference}`);
  assert.equal(tf.memory().numTensors, before);
  assert.equal(sigmoidOutputLayer(autoencoder), layer, 'the sigmoid is back after the forward pass');
  autoencoder.dispose();
});

test('pretraining with the loss from logits gives the same per-epoch losses (within 1e-5) on a fixed seed', async () => {
  const losses: number[][] = [];
  for (const lossFromLogits of [false, true]) {
    const autoencoder = joinAutoencoder(buildEncoder(spec, 1), buildDecoder(spec, 1));
    const logs = await fit({
      model: autoencoder, x: data.x, features: 64, indices: all, target: { kind: 'reconstruct', noise: 0.3, loss: 'binary-crossentropy' },
      epochs: 3, batchSize: 16, learningRate: 0.01, rng: createRng(1), lossFromLogits,
    });
    losses.push(logs.map((l) => l.loss));
    autoencoder.dispose();
  }
  losses[0].forEach((reference, i) => assert.ok(Math.abs(losses[1][i] - reference) < 1e-5, `epoch ${i + 1}: ${losses[1][i]} vs ${reference}`));
});

test('meanSigmoidCrossEntropy (fused on wasm) matches tfjs on cpu in value and gradient, extreme logits and odd lengths included', async () => {
  const backend = tf.getBackend();
  await startBackend('wasm');
  assert.ok(activeSimdKernels() !== null, 'the fused path runs only where our SIMD kernels are active');
  const rng = createRng(11);
  for (const length of [1, 7, 4096 + 3]) {
    // Logits from −120 to 120 (exp underflows below −87), a few exact zeros; targets in [0, 1] and exact 0/1.
    const z = Float32Array.from({ length }, (_, i) => (i % 17 === 0 ? 0 : (rng.next() * 2 - 1) * (i % 5 === 0 ? 120 : 8)));
    const y = Float32Array.from({ length }, (_, i) => (i % 3 === 0 ? Math.round(rng.next()) : rng.next()));
    const run = () => tf.tidy(() => {
      const targets = tf.tensor1d(y);
      const { value, grad } = tf.valueAndGrad((logits: tf.Tensor) => meanSigmoidCrossEntropy(targets, logits))(tf.tensor1d(z));
      return [value.dataSync()[0], grad.dataSync() as Float32Array] as const;
    });
    await tf.setBackend('cpu');
    const [expectedLoss, expectedGrad] = run();
    await tf.setBackend('wasm');
    const before = tf.memory().numTensors;
    const [loss, grad] = run();
    assert.equal(tf.memory().numTensors, before, 'tensors left');
    assert.ok(Math.abs(loss - expectedLoss) <= 1e-5 * Math.max(1, Math.abs(expectedLoss)), `n=${length}: loss ${loss} vs ${expectedLoss}`);
    let diff = 0;
    let scale = 0;
    expectedGrad.forEach((g, i) => { diff = Math.max(diff, Math.abs(grad[i] - g)); scale = Math.max(scale, Math.abs(g)); });
    assert.ok(diff <= 1e-5 * scale, `n=${length}: gradient off by ${diff} (scale ${scale})`);
  }
  await tf.setBackend(backend);
});

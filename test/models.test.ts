import assert from 'node:assert/strict';
import { test } from 'node:test';
import * as tf from '#tfjs';
import { startBackend } from '../src/backend/start-backend.ts';
import { deserialiseModel, serialiseModel } from '../src/artifacts/model-io.ts';
import { buildDecoder, buildEncoder, joinAutoencoder, LATENT_LAYER, type AutoencoderSpec } from '../src/models/autoencoder.ts';
import { buildClassifier, HEAD_LAYER } from '../src/models/classifier.ts';
import { matchLatentScale } from '../src/models/latent-scale.ts';
import { fit } from '../src/train/fit.ts';
import { createRng } from '../src/util/rng.ts';
import { tinyImageDataset } from './fixtures/tiny-dataset.ts';

await startBackend('auto');
const spec: AutoencoderSpec = { inputKind: 'image', features: 64, hidden: 16, latent: 4 };
const data = tinyImageDataset(20, 4);
const all = Int32Array.from(data.y.keys());

const ENCODER_LAYERS = ['encoder_hidden', LATENT_LAYER];
const decoderLayerNames = (model: tf.LayersModel) => model.layers.map((layer) => layer.name).filter((name) => name.startsWith('decoder_'));

function weightsOf(model: tf.LayersModel, names: string[]): Float32Array[] {
  return names.flatMap((name) => model.getLayer(name).getWeights().map((w) => w.dataSync() as Float32Array).map((a) => a.slice()));
}

test('at the start of fine-tuning the encoder holds exactly the pretrained weights, and the classifier has no decoder layer', async () => {
  const before = tf.memory().numTensors;
  const encoder = buildEncoder(spec, 1);
  const autoencoder = joinAutoencoder(encoder, buildDecoder(spec, 1));
  const initial = weightsOf(encoder, ENCODER_LAYERS);
  await fit({ model: autoencoder, x: data.x, features: 64, indices: all, target: { kind: 'reconstruct', noise: 0.3, loss: 'binary-crossentropy' }, epochs: 2, batchSize: 16, learningRate: 0.01, rng: createRng(1) });
  const pretrained = weightsOf(encoder, ENCODER_LAYERS);
  assert.notDeepEqual(pretrained, initial, 'pretraining changed nothing');

  const files = await serialiseModel(encoder);
  const reloaded = await deserialiseModel(files['model.json'], files['weights.bin']);
  const classifier = buildClassifier(reloaded, 4, 1);
  assert.deepEqual(weightsOf(classifier, ENCODER_LAYERS), pretrained);
  const layerNames = classifier.layers.map((layer) => layer.name);
  assert.deepEqual(decoderLayerNames(classifier), [], 'the classifier holds a decoder layer');
  const decoder = buildDecoder(spec, 1);
  assert.ok(decoderLayerNames(decoder).length >= 2, 'decoder layers are not named decoder_*');
  decoder.dispose();
  assert.ok(layerNames.includes(HEAD_LAYER));
  classifier.dispose();
  autoencoder.dispose();
  assert.equal(tf.memory().numTensors, before, 'tensors leaked');
});

test('the baseline encoder starts from the same weights the autoencoder started from; the head is the same in both arms', () => {
  const a = buildEncoder(spec, 3);
  const b = buildEncoder(spec, 3);
  const c = buildEncoder(spec, 4);
  assert.deepEqual(weightsOf(a, ENCODER_LAYERS), weightsOf(b, ENCODER_LAYERS));
  assert.notDeepEqual(weightsOf(a, ENCODER_LAYERS), weightsOf(c, ENCODER_LAYERS));
  const headA = buildClassifier(a, 4, 3);
  const headC = buildClassifier(c, 4, 3);
  assert.deepEqual(weightsOf(headA, [HEAD_LAYER]), weightsOf(headC, [HEAD_LAYER]));
  headA.dispose();
  headC.dispose();
  b.dispose();
});

test('load-then-predict equals predict-before-save', async () => {
  const encoder = buildEncoder(spec, 9);
  const input = tf.tensor2d(data.x.subarray(0, 64 * 5), [5, 64]);
  const expected = (encoder.predict(input) as tf.Tensor).arraySync();
  const files = await serialiseModel(encoder);
  const reloaded = await deserialiseModel(files['model.json'], files['weights.bin']);
  assert.deepEqual((reloaded.predict(input) as tf.Tensor).arraySync(), expected);
  tf.dispose(input);
  encoder.dispose();
  reloaded.dispose();
});

test('latent rescaling gives the pretrained code zero mean and the fresh code\'s spread, without changing what it encodes', () => {
  tf.tidy(() => {
    const pretrained = buildEncoder(spec, 5);
    // Inflate the latent layer as pretraining does.
    const latent = pretrained.getLayer(LATENT_LAYER);
    latent.setWeights(latent.getWeights().map((w) => w.mul(10).add(1)));
    const fresh = buildEncoder(spec, 6);
    const inputs = tf.tensor2d(data.x, [data.y.length, 64]);
    const beforeCode = pretrained.predict(inputs) as tf.Tensor2D;
    matchLatentScale(pretrained, fresh, inputs);
    const code = pretrained.predict(inputs) as tf.Tensor2D;
    const { mean, variance } = tf.moments(code, 0);
    const target = tf.moments(fresh.predict(inputs) as tf.Tensor2D, 0).variance.sqrt().mean().dataSync()[0];
    assert.ok(tf.abs(mean).max().dataSync()[0] < 1e-4);
    for (const sd of variance.sqrt().dataSync()) assert.ok(Math.abs(sd - target) < 1e-3 * Math.max(1, target));
    // Per-dimension affine: correlation with the original code stays 1.
    const b = beforeCode.sub(tf.moments(beforeCode, 0).mean);
    const a = code.sub(mean);
    const corr = a.mul(b).sum(0).div(a.square().sum(0).sqrt().mul(b.square().sum(0).sqrt()));
    for (const r of corr.dataSync()) assert.ok(r > 0.9999);
  });
});

test('latent rescaling with a target spread (--latent-std) standardises each dimension to that spread', () => {
  tf.tidy(() => {
    const pretrained = buildEncoder(spec, 5);
    const latent = pretrained.getLayer(LATENT_LAYER);
    latent.setWeights(latent.getWeights().map((w) => w.mul(10).add(1)));
    const fresh = buildEncoder(spec, 6);
    const inputs = tf.tensor2d(data.x, [data.y.length, 64]);
    assert.equal(matchLatentScale(pretrained, fresh, inputs, 1), true);
    const { mean, variance } = tf.moments(pretrained.predict(inputs) as tf.Tensor2D, 0);
    assert.ok(tf.abs(mean).max().dataSync()[0] < 1e-4);
    for (const sd of variance.sqrt().dataSync()) assert.ok(Math.abs(sd - 1) < 1e-3);
  });
});

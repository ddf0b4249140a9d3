import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '#tfjs';
import { UserError } from '../src/errors.ts';
import { buildDecoder, buildEncoder, joinAutoencoder, LATENT_LAYER, type AutoencoderSpec } from '../src/models/autoencoder.ts';
import { mlpWidths } from '../src/models/encoders/mlp.ts';
import { hasLinearLatent, matchLatentScale } from '../src/models/latent-scale.ts';
import { applyGaussianNoise } from '../src/train/batches.ts';
import { createRng } from '../src/util/rng.ts';

const image: AutoencoderSpec = { inputKind: 'image', features: 784, inputShape: [28, 28, 1], hidden: 32, latent: 8 };

function shapes(spec: AutoencoderSpec): { code: number[]; decoded: number[]; reconstructed: number[] } {
  const encoder = buildEncoder(spec, 1);
  const decoder = buildDecoder(spec, 1);
  const autoencoder = joinAutoencoder(encoder, decoder);
  const result = tf.tidy(() => ({
    code: (encoder.predict(tf.zeros([3, spec.features])) as tf.Tensor).shape,
    decoded: (decoder.predict(tf.zeros([3, spec.latent])) as tf.Tensor).shape,
    reconstructed: (autoencoder.predict(tf.zeros([3, spec.features])) as tf.Tensor).shape,
  }));
  tf.dispose([...encoder.getWeights(), ...decoder.getWeights()]);
  return result;
}

test('every encoder family maps flat rows to the latent and its decoder back to flat rows', () => {
  for (const spec of [
    { ...image, encoder: 'mlp' as const },
    { ...image, encoder: 'mlp' as const, depth: 2 },
    { ...image, encoder: 'classic' as const },
    { ...image, encoder: 'conv' as const },
  ]) {
    assert.deepEqual(shapes(spec), { code: [3, 8], decoded: [3, 784], reconstructed: [3, 784] }, JSON.stringify(spec));
  }
});

test('RGB images (3 channels): every family maps their flat rows to the latent and back; conv convolves all three channels', () => {
  const rgb: AutoencoderSpec = { inputKind: 'image', features: 8 * 8 * 3, inputShape: [8, 8, 3], hidden: 16, latent: 4 };
  for (const encoder of ['mlp', 'classic', 'conv'] as const) {
    assert.deepEqual(shapes({ ...rgb, encoder }), { code: [3, 4], decoded: [3, 192], reconstructed: [3, 192] }, encoder);
  }
  const conv = buildEncoder({ ...rgb, encoder: 'conv' }, 1);
  assert.deepEqual(conv.getLayer('encoder_conv_1').getWeights()[0].shape, [3, 3, 3, 32]);
  tf.dispose(conv.getWeights());
});

test('mlp depth: layer widths double towards the input; classic has one sigmoid code layer; conv two stride-2 convolutions', () => {
  assert.deepEqual(mlpWidths({ hidden: 256, depth: 2 }), [512, 256]);
  const deep = buildEncoder({ ...image, encoder: 'mlp', depth: 2 }, 1);
  assert.deepEqual(deep.layers.slice(1).map((l) => l.outputShape), [[null, 64], [null, 32], [null, 8]]);
  const classic = buildEncoder({ ...image, encoder: 'classic' }, 1);
  assert.deepEqual(classic.layers.map((l) => l.name), ['pixels', LATENT_LAYER]);
  assert.equal(hasLinearLatent(classic), false);
  const conv = buildEncoder({ ...image, encoder: 'conv' }, 1);
  assert.deepEqual(conv.layers.map((l) => l.outputShape), [[null, 784], [null, 28, 28, 1], [null, 14, 14, 32], [null, 7, 7, 64], [null, 3136], [null, 8]]);
  tf.dispose([deep, classic, conv].flatMap((m) => m.getWeights()));
});

test('conv needs images whose sides divide by 4', () => {
  assert.throws(() => buildEncoder({ inputKind: 'table', features: 10, inputShape: [10], hidden: 4, latent: 2, encoder: 'conv' }, 1), UserError);
  assert.throws(() => buildEncoder({ ...image, inputShape: [30, 30, 1], features: 900, encoder: 'conv' }, 1), /divisible by 4/);
});

test('the same seed builds the same encoder (baseline and pretraining start alike)', () => {
  for (const encoder of ['mlp', 'classic', 'conv'] as const) {
    const a = buildEncoder({ ...image, encoder }, 5);
    const b = buildEncoder({ ...image, encoder }, 5);
    a.getWeights().forEach((w, i) => assert.deepEqual(w.dataSync(), b.getWeights()[i].dataSync()));
    tf.dispose([...a.getWeights(), ...b.getWeights()]);
  }
});

test('latent rescale: linear codes (mlp, conv) get the fresh spread; a sigmoid code is left alone', () => {
  const rows = tf.tidy(() => tf.randomUniform([64, 784], 0, 1, 'float32', 3) as tf.Tensor2D);
  for (const encoder of ['mlp', 'conv', 'classic'] as const) {
    const model = buildEncoder({ ...image, encoder }, 1);
    const fresh = buildEncoder({ ...image, encoder }, 2);
    // Inflate the code tenfold, as pretraining does.
    const layer = model.getLayer(LATENT_LAYER);
    const inflated = layer.getWeights().map((w) => w.mul(10));
    layer.setWeights(inflated);
    tf.dispose(inflated);
    const before = tf.memory().numTensors;
    const changed = matchLatentScale(model, fresh, rows);
    assert.equal(tf.memory().numTensors, before, 'no leak');
    assert.equal(changed, encoder !== 'classic');
    if (changed) {
      const [ours, theirs] = tf.tidy(() => [model, fresh].map((m) => tf.moments(m.predict(rows) as tf.Tensor, 0).variance.sqrt().mean().dataSync()[0]));
      assert.ok(Math.abs(ours - theirs) / theirs < 0.05, `${encoder}: spread ${ours} vs ${theirs}`);
    }
    tf.dispose([...model.getWeights(), ...fresh.getWeights()]);
  }
  rows.dispose();
});

test('gaussian noise is seeded, has the asked spread, and stays in [0, 1] for images', () => {
  const a = new Float32Array(20000).fill(0.5);
  const b = new Float32Array(20000).fill(0.5);
  applyGaussianNoise(a, 0.1, createRng(4), true);
  applyGaussianNoise(b, 0.1, createRng(4), true);
  assert.deepEqual(a, b);
  const mean = a.reduce((s, v) => s + v, 0) / a.length;
  const sd = Math.sqrt(a.reduce((s, v) => s + (v - mean) ** 2, 0) / a.length);
  assert.ok(Math.abs(mean - 0.5) < 0.01 && Math.abs(sd - 0.1) < 0.01, `mean ${mean}, sd ${sd}`);
  const c = new Float32Array(1000).fill(0.95);
  applyGaussianNoise(c, 0.5, createRng(5), true);
  assert.ok(c.every((v) => v >= 0 && v <= 1));
});

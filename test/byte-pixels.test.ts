/**
 * Images kept as bytes (Dataset.x) train exactly as their float32 values would: each batch turns
 * its rows into the float32 of byte/255, the very numbers a float32 dataset holds.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { startBackend } from '../src/backend/start-backend.ts';
import { BYTE_VALUE, valueAt } from '../src/data/dataset.ts';
import { buildDecoder, buildEncoder, joinAutoencoder, type AutoencoderSpec } from '../src/models/autoencoder.ts';
import { gatherRows } from '../src/train/batches.ts';
import { fit, predictRows } from '../src/train/fit.ts';
import { createRng } from '../src/util/rng.ts';
import { tinyImageDataset } from './fixtures/tiny-dataset.ts';

await startBackend('auto');
const tiny = tinyImageDataset(12, 3);
const bytes = Uint8Array.from(tiny.x, (v) => Math.round(v * 255));
const floats = Float32Array.from(bytes, (k) => k / 255);

test('gatherRows turns byte rows into the float32 of byte/255, the values float32 rows hold', () => {
  const indices = Int32Array.from([5, 0, 17, 5]);
  const fromBytes = gatherRows(bytes, 64, indices, 1, 4, new Float32Array(3 * 64));
  const fromFloats = gatherRows(floats, 64, indices, 1, 4, new Float32Array(3 * 64));
  assert.deepEqual(fromBytes, fromFloats);
  assert.equal(fromBytes[64], BYTE_VALUE[bytes[17 * 64]]);
  assert.equal(valueAt(bytes, 17 * 64), fromFloats[64]);
  assert.notDeepEqual(Array.from(fromBytes.subarray(0, 64)), Array.from(fromBytes.subarray(64, 128)), 'different rows gathered');
});

test('training on bytes gives bit-identical losses and predictions to training on their float32 values', async () => {
  const spec: AutoencoderSpec = { inputKind: 'image', features: 64, hidden: 16, latent: 4 };
  const all = Int32Array.from(tiny.y.keys());
  const train = async (x: Uint8Array | Float32Array) => {
    const model = joinAutoencoder(buildEncoder(spec, 3), buildDecoder(spec, 3));
    try {
      const curve = await fit({ model, x, features: 64, indices: all, target: { kind: 'reconstruct', noise: 0.3, loss: 'binary-crossentropy' }, epochs: 2, batchSize: 8, learningRate: 0.01, rng: createRng(4) });
      return { losses: curve.map((epoch) => epoch.loss), outputs: await predictRows(model, x, 64, all) };
    } finally {
      model.dispose();
    }
  };
  const [a, b] = [await train(bytes), await train(floats)];
  assert.deepEqual(a.losses, b.losses);
  assert.deepEqual(a.outputs, b.outputs);
  assert.ok(a.losses[1] < a.losses[0], 'it trained');
});

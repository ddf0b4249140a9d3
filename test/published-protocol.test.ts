import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { datasetFingerprint } from '../src/data/cache.ts';
import { loadIdxDataset } from '../src/data/idx.ts';
import { FULL_MNIST_FINGERPRINT } from '../src/report/published-results.ts';
import { PROJECT_ROOT } from './fixtures/cli.ts';

const MNIST = path.resolve(PROJECT_ROOT, '..', 'shared', 'datasets', 'mnist');

test('the full-MNIST fingerprint the published comparison checks is that of the real MNIST files', { skip: existsSync(MNIST) ? false : `${MNIST} is absent, so the fingerprint cannot be derived here` }, async () => {
  const dataset = await loadIdxDataset(MNIST, { name: 'mnist' });
  assert.equal(dataset.y.length, 70_000);
  assert.equal(datasetFingerprint(dataset), FULL_MNIST_FINGERPRINT);
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gzipSync } from 'node:zlib';
import { readResultsCsv } from '../src/report/run-files.ts';
import type { ConfusionRecord } from '../src/report/run-record.ts';
import { runCli, tempFolder } from './fixtures/cli.ts';
import { idxImages, idxLabels } from './fixtures/idx-fixture.ts';
import { createRng } from '../src/util/rng.ts';

const TINY = ['--seeds', '2', '--pretrain-epochs', '2', '--finetune-epochs', '5', '--hidden', '16', '--latent', '4', '--jobs', '1'];

/** An IDX folder: 3 classes of 8×8 bar images, 40 training and 10 test images per class. */
function writeIdxFolder(dir: string): void {
  const rng = createRng(3);
  const labels = (n: number) => Array.from({ length: n }, (_, i) => i % 3);
  const pixel = (ys: number[]) => (i: number, p: number) => (Math.floor(p / 8) === ys[i] * 2 ? 220 : 20) + Math.floor(rng.next() * 30);
  const train = labels(120);
  const testLabels = labels(30);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'train-images-idx3-ubyte.gz'), gzipSync(idxImages(120, 8, 8, pixel(train))));
  fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), gzipSync(idxLabels(train)));
  fs.writeFileSync(path.join(dir, 't10k-images-idx3-ubyte.gz'), gzipSync(idxImages(30, 8, 8, pixel(testLabels))));
  fs.writeFileSync(path.join(dir, 't10k-labels-idx1-ubyte.gz'), gzipSync(idxLabels(testLabels)));
}

test('--dataset idx trains on the training file and scores on the official test file', async () => {
  const cwd = tempFolder('idx-run');
  writeIdxFolder(path.join(cwd, 'digits'));
  const result = await runCli('run.ts', ['--dataset', 'idx', '--data-dir', 'digits', '--labels-per-class', '2,5', ...TINY, '--out', 'r'], cwd);
  assert.equal(result.code, 0, result.stderr);
  const rows = await readResultsCsv(path.join(cwd, 'r', 'results.csv'));
  assert.equal(rows.length, 2 * 2 * 2);
  assert.deepEqual([...new Set(rows.map((r) => r.labeled))].sort((a, b) => a - b), [6, 15]);
  const confusions = JSON.parse(fs.readFileSync(path.join(cwd, 'r', 'confusion.json'), 'utf8')) as ConfusionRecord[];
  for (const c of confusions) assert.equal(c.matrix.flat().reduce((a, b) => a + b, 0), 30, 'not scored on the 30 official test images');
});

test('a broken IDX file stops the run with one line naming the file, exit 2, nothing written', async () => {
  const cwd = tempFolder('idx-bad');
  const dir = path.join(cwd, 'digits');
  writeIdxFolder(dir);
  const labels = fs.readFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'));
  fs.writeFileSync(path.join(dir, 'train-labels-idx1-ubyte.gz'), labels.subarray(0, labels.length - 5));
  const result = await runCli('run.ts', ['--dataset', 'idx', '--data-dir', 'digits', '--out', 'r'], cwd);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /train-labels-idx1-ubyte/);
  assert.ok(!fs.existsSync(path.join(cwd, 'r')));
  assert.ok(!fs.existsSync(path.join(cwd, 'reports')));
});

/** 150 rows, 3 string classes, 4 numeric features (one missing value), one text column to drop. */
function writeCsv(file: string): void {
  const rng = createRng(5);
  const lines = ['a,b,c,d,note,species'];
  for (let i = 0; i < 150; i++) {
    const c = i % 3;
    const f = [0, 1, 2, 3].map((k) => (k === c ? 5 : 0) + rng.next());
    const cells = f.map((v) => v.toFixed(3));
    if (i === 7) cells[2] = '';
    lines.push([...cells, `row${i}`, ['setosa', 'versicolor', 'virginica'][c]].join(','));
  }
  fs.writeFileSync(file, `${lines.join('\n')}\n`);
}

test('--dataset csv: string labels, a dropped text column, mean imputation; no image-only parts', async () => {
  const cwd = tempFolder('csv-run');
  writeCsv(path.join(cwd, 'flowers.csv'));
  const refused = await runCli('run.ts', ['--dataset', 'csv', '--csv', 'flowers.csv', '--label-column', 'species', '--drop-columns', 'note', '--labeled', '0.1,0.3', ...TINY, '--out', 'r'], cwd);
  assert.equal(refused.code, 2, refused.stderr);
  assert.match(refused.stderr, /--impute mean/);
  const result = await runCli('run.ts', ['--dataset', 'csv', '--csv', 'flowers.csv', '--label-column', 'species', '--drop-columns', 'note', '--impute', 'mean', '--labeled', '0.1,0.3', ...TINY, '--out', 'r'], cwd);
  assert.equal(result.code, 0, result.stderr);
  const rows = await readResultsCsv(path.join(cwd, 'r', 'results.csv'));
  assert.equal(rows.length, 2 * 2 * 2);
  assert.ok(rows.every((row) => row.dataset === 'flowers.csv'));
  assert.ok(!fs.existsSync(path.join(cwd, 'r', 'pictures.json')), 'a table dataset got image pictures');
  const params = JSON.parse(fs.readFileSync(path.join(cwd, 'r', 'params.json'), 'utf8'));
  assert.deepEqual(params.dataset.classNames, ['setosa', 'versicolor', 'virginica']);
  const missing = await runCli('run.ts', ['--dataset', 'csv', '--csv', 'flowers.csv', '--label-column', 'kind', '--out', 'r2'], cwd);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /kind/);
  assert.ok(!fs.existsSync(path.join(cwd, 'r2')));
});

/**
 * The exported model end to end: a run on a tiny image folder exports its classifier; a fresh
 * process (npm run predict) classifies the test images with it exactly as the run scored them;
 * tf.loadLayersModel reads the same folder over HTTP, as a browser would, and agrees; bad inputs
 * get one line each while the rest are predicted. The same for a CSV run and rows to predict, and
 * a rerun from the run's params.json.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { before, test } from 'node:test';
import * as tf from '#tfjs';
import { PNG } from 'pngjs';
import { startBackend } from '../src/backend/start-backend.ts';
import type { ImagePreprocessing, ModelAbout } from '../src/export/exported-model.ts';
import type { RunParams } from '../src/report/run-record.ts';
import { createRng } from '../src/util/rng.ts';
import { runCli, tempFolder } from './fixtures/cli.ts';
import { writeImageFolder } from './fixtures/image-folder.ts';
import { CSV_CLASSES, csvFeatures, writePartlyLabeledCsv } from './fixtures/partly-labeled-csv.ts';

const TINY = ['--seeds', '1', '--pretrain-epochs', '3', '--finetune-epochs', '15', '--hidden', '32', '--latent', '8', '--jobs', '1'];

let cwd = '';
before(async () => {
  cwd = tempFolder('export');
  await writeImageFolder(path.join(cwd, 'photos'), { testPerClass: 4, corrupt: false });
  const run = await runCli('run.ts', ['--dataset', 'images', '--data-dir', 'photos/labeled', '--unlabeled-dir', 'photos/unlabeled', '--test-dir', 'photos/test', '--labeled', '0.5,all', ...TINY, '--out', 'r'], cwd);
  assert.equal(run.code, 0, run.stderr);
});

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

/** CSV text → header and rows of cells (no quoted cells in these tests). */
function parseCsv(text: string): { header: string[]; rows: string[][] } {
  const [header, ...rows] = text.trim().split('\n').map((line) => line.split(','));
  return { header, rows };
}

/** The test images: path (as predict prints it) and class folder. */
function testImages(): { file: string; label: string }[] {
  return ['one', 'two', 'zero'].flatMap((label) => fs.readdirSync(path.join(cwd, 'photos', 'test', label)).sort().map((name) => ({ file: path.join('photos', 'test', label, name), label })));
}

test('every run exports its classifier: model.json + weights, labels, preprocessing; the report names it and its test accuracy', () => {
  const dir = path.join(cwd, 'r', 'model');
  assert.deepEqual(fs.readdirSync(dir).sort(), ['about.json', 'labels.json', 'model.json', 'preprocessing.json', 'weights.bin']);
  assert.deepEqual(readJson(path.join(dir, 'labels.json')), ['one', 'two', 'zero']);
  const pre = readJson<ImagePreprocessing>(path.join(dir, 'preprocessing.json'));
  assert.deepEqual([pre.kind, pre.width, pre.height, pre.channels, pre.features], ['image', 28, 28, 1, 784]);
  const about = readJson<ModelAbout>(path.join(dir, 'about.json'));
  // The first seed, the largest budget: all 36 labeled images but the 5 per class held back for validation.
  assert.deepEqual([about.seed, about.labeled, about.fraction, about.testSize], [1, 21, 1, 12]);
  // The default arm: the best on validation there (ties: the arms' order, baseline first).
  const rows = fs.readFileSync(path.join(cwd, 'r', 'results.csv'), 'utf8').trim().split('\n');
  const header = rows[0].split(',');
  const cells = rows.slice(1).map((line) => Object.fromEntries(line.split(',').map((v, i) => [header[i], v]))).filter((row) => row.labeled === '21');
  const best = cells.reduce((a, b) => (Number(b.valAccuracy) > Number(a.valAccuracy) ? b : a));
  assert.equal(about.arm, best.arm);
  assert.equal(about.testAccuracy, Number(best.accuracy));
  const params = readJson<RunParams>(path.join(cwd, 'r', 'params.json'));
  assert.deepEqual(params.exportedModel, { folder: 'model', arm: about.arm, seed: 1, labeled: 21, fraction: 1, testAccuracy: about.testAccuracy });
  assert.match(fs.readFileSync(path.join(cwd, 'r', 'report.md'), 'utf8'), new RegExp(`## Exported model\\s+The folder model/ beside this report holds the ${about.arm} classifier of seed 1, trained on 21 labeled examples \\(100 %\\).*accuracy on the 12 held-out test images is ${(100 * about.testAccuracy).toFixed(1)} %`));
});

test('npm run predict in a fresh process scores the test images as the run did, and tf.loadLayersModel over HTTP agrees', async () => {
  const images = testImages();
  const result = await runCli('predict.ts', ['--model', 'r/model', 'photos/test', '--top', '2'], cwd);
  assert.equal(result.code, 0, result.stderr);
  const { header, rows } = parseCsv(result.stdout);
  assert.deepEqual(header, ['file', 'label', 'probability', 'label_2', 'probability_2']);
  assert.deepEqual(rows.map((r) => r[0]), images.map((i) => i.file));
  const right = rows.filter((r, i) => r[1] === images[i].label).length;
  const about = readJson<ModelAbout>(path.join(cwd, 'r', 'model', 'about.json'));
  assert.equal(right / images.length, about.testAccuracy, 'predict disagrees with the accuracy the run measured');
  for (const r of rows) assert.ok(Number(r[2]) >= Number(r[4]), 'the best class is not first');

  // A browser's way in: the folder over HTTP, tf.loadLayersModel on the URL, pixels prepared as preprocessing.json says.
  const dir = path.join(cwd, 'r', 'model');
  const server = http.createServer((request, response) => {
    const file = path.join(dir, path.basename(request.url ?? ''));
    if (!fs.existsSync(file)) return void response.writeHead(404).end();
    response.writeHead(200).end(fs.readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  try {
    await startBackend('auto');
    const model = await tf.loadLayersModel(`http://127.0.0.1:${(server.address() as AddressInfo).port}/model.json`);
    const pixels = images.flatMap(({ file }) => {
      const png = PNG.sync.read(fs.readFileSync(path.join(cwd, file)));
      return Array.from({ length: 784 }, (_, p) => png.data[p * 4] / 255);
    });
    const probabilities = tf.tidy(() => (model.predict(tf.tensor2d(pixels, [images.length, 784])) as tf.Tensor).arraySync() as number[][]);
    model.dispose();
    const labels = readJson<string[]>(path.join(dir, 'labels.json'));
    probabilities.forEach((p, i) => {
      const best = p.indexOf(Math.max(...p));
      assert.equal(labels[best], rows[i][1], `${images[i].file}: another class`);
      assert.ok(Math.abs(p[best] - Number(rows[i][2])) <= 1e-6, `${images[i].file}: ${p[best]} vs ${rows[i][2]}`);
    });
  } finally {
    server.close();
  }
});

test('predict: bad inputs get one line each, the others are still predicted, the exit code is 2; --out and --quiet', async () => {
  fs.writeFileSync(path.join(cwd, 'broken.png'), 'not an image');
  fs.writeFileSync(path.join(cwd, 'rows.csv'), 'x,y\n1,2\n');
  const one = testImages()[0].file;
  const result = await runCli('predict.ts', ['--model', 'r/model', one, 'broken.png', 'missing.jpg', 'rows.csv', '--out', 'predictions.csv', '--quiet'], cwd);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stdout, '', '--out with --quiet prints nothing');
  const problems = result.stderr.trim().split('\n');
  assert.equal(problems.length, 3, result.stderr);
  assert.match(problems[0], /^error: missing\.jpg: no such file or folder/);
  assert.match(problems[1], /^error: rows\.csv: a CSV file, but this model classifies images \(28×28, greyscale\)/);
  assert.match(problems[2], /^error: broken\.png: cannot be read as an image \(.+\); give a PNG, JPEG or WebP file$/);
  const { header, rows } = parseCsv(fs.readFileSync(path.join(cwd, 'predictions.csv'), 'utf8'));
  assert.deepEqual(header, ['file', 'label', 'probability']);
  assert.deepEqual(rows.map((r) => r[0]), [one]);

  const noModel = await runCli('predict.ts', ['--model', 'photos', one], cwd);
  assert.equal(noModel.code, 2);
  assert.match(noModel.stderr.trim(), /^error: --model photos has no labels\.json: give the model\/ folder a run wrote/);
});

test('a CSV run exports a table model; predict takes CSV rows by column name, scaled as in training', async () => {
  writePartlyLabeledCsv(path.join(cwd, 'insects.csv'));
  // Long enough to classify these separable rows well, so badly scaled inputs would show.
  const longer = ['--seeds', '1', '--pretrain-epochs', '3', '--finetune-epochs', '80', '--hidden', '32', '--latent', '8', '--jobs', '1', '--validation', '0'];
  const run = await runCli('run.ts', ['--dataset', 'csv', '--csv', 'insects.csv', '--label-column', 'kind', '--labeled', 'all', ...longer, '--export-arm', 'baseline', '--out', 'csv'], cwd);
  assert.equal(run.code, 0, run.stderr);
  const about = readJson<ModelAbout>(path.join(cwd, 'csv', 'model', 'about.json'));
  assert.equal(about.arm, 'baseline');
  // New rows: columns in another order plus an id column; one row with a word, one with a gap.
  const rng = createRng(99);
  const lines = ['id,z,x,y'];
  for (let i = 0; i < 12; i++) {
    const [x, y, z] = csvFeatures(i, rng);
    lines.push([`n${i}`, i === 4 ? 'lots' : z, i === 7 ? '' : x, y].join(','));
  }
  fs.writeFileSync(path.join(cwd, 'new-rows.csv'), `${lines.join('\n')}\n`);
  const result = await runCli('predict.ts', ['--model', 'csv/model', 'new-rows.csv'], cwd);
  assert.equal(result.code, 2, result.stderr);
  const problems = result.stderr.split('\n').filter((line) => line.startsWith('error: '));
  assert.deepEqual(problems, [
    'error: new-rows.csv: data row 5, column "z" holds "lots", not a number; correct that cell',
    'error: new-rows.csv: data row 8, column "x" is empty; the model was trained without --impute mean, so fill it in',
  ]);
  const { header, rows } = parseCsv(result.stdout);
  assert.deepEqual(header, ['row', 'label', 'probability']);
  assert.deepEqual(rows.map((r) => r[0]), ['1', '2', '3', '4', '6', '7', '9', '10', '11', '12']);
  const right = rows.filter((r) => r[1] === CSV_CLASSES[(Number(r[0]) - 1) % 3]).length;
  assert.ok(right >= 9, `only ${right} of 10 rows classified right: the rows were not scaled as in training`);

  const missingColumn = path.join(cwd, 'two-columns.csv');
  fs.writeFileSync(missingColumn, 'x,y\n1,2\n');
  const refused = await runCli('predict.ts', ['--model', 'csv/model', 'two-columns.csv'], cwd);
  assert.equal(refused.code, 2);
  assert.match(refused.stderr, /error: two-columns\.csv: no column "z"; the model needs the columns "x", "y", "z"/);
});

test('--config reports/<run>/params.json reruns the run into a new folder with the same results', async () => {
  const result = await runCli('run.ts', ['--config', 'r/params.json', '--out', 'again'], cwd);
  assert.equal(result.code, 0, result.stderr);
  const sorted = (file: string) => fs.readFileSync(file, 'utf8').trim().split('\n').sort();
  assert.deepEqual(sorted(path.join(cwd, 'again', 'results.csv')), sorted(path.join(cwd, 'r', 'results.csv')));
  assert.match(result.stdout, /cached/);
  const unknown = await runCli('run.ts', ['--config', 'photos/labeled/one/000.png'], cwd);
  assert.equal(unknown.code, 2);
  assert.equal(unknown.stderr.trim().split('\n').length, 1, unknown.stderr);
});

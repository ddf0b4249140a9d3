/**
 * A user's own data through the real CLI: a tiny folder of images with a corrupt file and a folder
 * of unlabeled images, the same in RGB through the conv encoder with shifts and a test folder, a
 * CSV whose unlabeled rows have empty label cells, and the bad inputs each gets one line for.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { readResultsCsv } from '../src/report/run-files.ts';
import type { ConfusionRecord, RunParams, RunPictures } from '../src/report/run-record.ts';
import { runCli, tempFolder } from './fixtures/cli.ts';
import { writeImageFolder } from './fixtures/image-folder.ts';
import { writePartlyLabeledCsv } from './fixtures/partly-labeled-csv.ts';

const TINY = ['--seeds', '1', '--pretrain-epochs', '2', '--finetune-epochs', '4', '--hidden', '16', '--latent', '4', '--jobs', '1'];
/** The same, trained long enough to learn the tiny classes (an arm that does not learn is itself a warning). */
const LEARNING = ['--seeds', '1', '--pretrain-epochs', '2', '--finetune-epochs', '40', '--learning-rate', '0.01', '--hidden', '16', '--latent', '4', '--jobs', '1'];

let cwd = '';
before(async () => {
  cwd = tempFolder('own-data');
  await writeImageFolder(path.join(cwd, 'photos'), { testPerClass: 3 });
});

const readJson = <T>(file: string): T => JSON.parse(fs.readFileSync(file, 'utf8')) as T;

test('--dataset images with --unlabeled-dir: the corrupt file is one warning, unlabeled images only join the pool, the report counts them', async () => {
  const args = ['--dataset', 'images', '--data-dir', 'photos/labeled', '--unlabeled-dir', 'photos/unlabeled', '--test-fraction', '0.25', '--validation', '2', '--labeled', '0.5,all', ...LEARNING, '--out', 'r'];
  const result = await runCli('run.ts', args, cwd);
  assert.equal(result.code, 0, result.stderr);
  const warnings = result.stderr.trim().split('\n');
  assert.equal(warnings.length, 2, result.stderr);
  assert.match(warnings[1], /^warning: 1 of 67 image files could not be read and were skipped: photos\/labeled\/zero\/broken\.png \(/);
  assert.match(result.stdout, /dataset: labeled, 66 samples \(30 unlabeled\), 28×28 greyscale images, 3 classes/);

  const params = readJson<RunParams>(path.join(cwd, 'r', 'params.json'));
  // 12 labeled images per class: 3 each to the test set, 9 each to the pool beside the 30 unlabeled.
  assert.deepEqual([params.dataset.testSize, params.dataset.poolSize, params.dataset.labeledSize, params.dataset.unlabeledSize], [9, 57, 27, 30]);
  const rows = await readResultsCsv(path.join(cwd, 'r', 'results.csv'));
  // 0.5 of the 27 labeled pool images, and all of them but the 2 × 3 held back for validation.
  assert.deepEqual([...new Set(rows.map((row) => row.labeled))].sort((a, b) => a - b), [14, 21]);
  assert.deepEqual(rows.map((row) => row.fraction).filter((f, i, all) => all.indexOf(f) === i).sort(), [0.5, 1]);
  const report = fs.readFileSync(path.join(cwd, 'r', 'report.md'), 'utf8');
  assert.match(report, /57 training images in the pool: 27 labeled and 30 without a label, and 9 held-out labeled test images/);

  // A second run loads the decoded images from the cache, and still names the skipped file.
  const again = await runCli('run.ts', args, cwd);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stderr, /broken\.png/);
  assert.match(again.stdout, /cached/);
});

test('RGB images through the conv encoder with shifts, scored on --test-dir; the report draws them in colour', async () => {
  const args = ['--dataset', 'images', '--data-dir', 'photos/labeled', '--test-dir', 'photos/test', '--channels', '3', '--image-size', '16',
    '--encoder', 'conv', '--augment-shift', '1', '--labels-per-class', '4', ...TINY, '--out', 'rgb'];
  const result = await runCli('run.ts', args, cwd);
  assert.equal(result.code, 0, result.stderr);
  const pictures = readJson<RunPictures>(path.join(cwd, 'rgb', 'pictures.json'));
  assert.deepEqual(pictures.inputShape, [16, 16, 3]);
  assert.equal(pictures.reconstruction.originals.length, pictures.reconstruction.count * 16 * 16 * 3);
  const confusions = readJson<ConfusionRecord[]>(path.join(cwd, 'rgb', 'confusion.json'));
  for (const c of confusions) assert.equal(c.matrix.flat().reduce((a, b) => a + b, 0), 9, 'not scored on the 9 images of --test-dir');
  const params = readJson<RunParams>(path.join(cwd, 'rgb', 'params.json'));
  assert.deepEqual([params.dataset.poolSize, params.dataset.labeledSize, params.dataset.unlabeledSize], [36, 36, 0]);
  assert.ok(fs.existsSync(path.join(cwd, 'rgb', 'figures', 'reconstructions.png')));
});

test('--dataset csv: rows with an empty label cell are unlabeled pool rows', async () => {
  writePartlyLabeledCsv(path.join(cwd, 'partly.csv'));
  const result = await runCli('run.ts', ['--dataset', 'csv', '--csv', 'partly.csv', '--label-column', 'kind', '--labeled', 'all', ...TINY, '--out', 'csv'], cwd);
  assert.equal(result.code, 0, result.stderr);
  const params = readJson<RunParams>(path.join(cwd, 'csv', 'params.json'));
  assert.deepEqual([params.dataset.testSize, params.dataset.labeledSize, params.dataset.unlabeledSize], [12, 48, 30]);
  const rows = await readResultsCsv(path.join(cwd, 'csv', 'results.csv'));
  assert.ok(rows.every((row) => row.labeled === 48 - 3 * 5), 'all labeled pool rows but the 5 per class held back for validation');
  assert.match(fs.readFileSync(path.join(cwd, 'csv', 'report.md'), 'utf8'), /78 training rows in the pool: 48 labeled and 30 without a label, and 12 held-out labeled test rows/);
});

test('bad own data: one line on stderr, exit 2, no report', async () => {
  const bad = path.join(cwd, 'bad');
  fs.mkdirSync(path.join(bad, 'empty-unlabeled'), { recursive: true });
  fs.writeFileSync(path.join(bad, 'empty-unlabeled', 'notes.txt'), 'no images here');
  writePartlyLabeledCsv(path.join(bad, 'unlabeled.csv'), 0);
  writePartlyLabeledCsv(path.join(bad, 'few.csv'), 4); // labels: ant twice, bee and cat once; too few for a test set
  fs.mkdirSync(path.join(bad, 'broken-class', 'cat'), { recursive: true });
  fs.mkdirSync(path.join(bad, 'broken-class', 'dog'), { recursive: true });
  fs.copyFileSync(path.join(cwd, 'photos', 'labeled', 'one', '000.png'), path.join(bad, 'broken-class', 'cat', 'a.png'));
  fs.writeFileSync(path.join(bad, 'broken-class', 'dog', 'b.jpg'), 'not a JPEG');
  const cases: [string[], RegExp][] = [
    [['--dataset', 'images', '--data-dir', 'photos/labeled', '--unlabeled-dir', 'bad/empty-unlabeled'], /--unlabeled-dir bad\/empty-unlabeled holds no images/],
    [['--dataset', 'images', '--data-dir', 'bad/broken-class'], /--data-dir \S+broken-class, class folder "dog": none of its 1 images could be read \(e\.g\. bad\/broken-class\/dog\/b\.jpg: /],
    [['--dataset', 'csv', '--csv', 'bad/unlabeled.csv', '--label-column', 'kind'], /no row has a label in the column "kind"/],
    [['--dataset', 'csv', '--csv', 'bad/few.csv', '--label-column', 'kind'], /class "ant" has 2 labeled examples, too few for a test set at --test-fraction 0\.2/],
  ];
  for (const [args, problem] of cases) {
    const result = await runCli('run.ts', [...args, ...TINY, '--out', 'never'], cwd);
    assert.equal(result.code, 2, `${args.join(' ')}: exit ${result.code}\n${result.stderr}`);
    const lines = result.stderr.trim().split('\n');
    assert.equal(lines.length, 1, result.stderr);
    assert.match(lines[0], problem);
  }
  assert.ok(!fs.existsSync(path.join(cwd, 'never')));
});

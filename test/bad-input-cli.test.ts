/**
 * Bad input through the real commands: each is stopped before any training
 * with one line naming the problem and a fix that works, exit code 2.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { cleanStore } from '../pipeline/clean.ts';
import { checkModelFits } from '../src/models/model-size.ts';
import { runCli, tempFolder, type CliResult } from './fixtures/cli.ts';
import { writeFakeRun } from './fixtures/fake-run.ts';
import { tinyCsvArgs, writeTinyCsv } from './fixtures/tiny-csv.ts';

function refusedBeforeTraining(result: CliResult, pattern: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], pattern);
  assert.doesNotMatch(result.stdout, /running/, 'it trained before refusing');
}

test('a class with a single row cannot be in both the test set and the pool: refused before training (issue 15, case 2)', async () => {
  const cwd = tempFolder('one-row-class');
  writeTinyCsv(path.join(cwd, 't.csv'), { extraRows: ['1,1,1,1,1,1,lonely'] });
  // fractions that give every class left in the pool a label: the run used to train without "lonely"
  const args = tinyCsvArgs('t.csv').map((a) => (a === '0.2,0.5' ? '0.5,1' : a));
  const result = await runCli('run.ts', [...args, '--test-fraction', '0.9', '--out', 'r'], cwd);
  refusedBeforeTraining(result, /^error: dataset t\.csv: class "lonely" has only 1 labeled example: a class needs at least 2 \(one for the test set, one to train on\)/);
  assert.ok(!fs.existsSync(path.join(cwd, 'r')));
});

test('npm run report on a results.csv with a missing row is one line, exit 2, and writes nothing (issue 15, case 3)', async () => {
  const cwd = tempFolder('report-unpaired');
  const runDir = path.join(cwd, 'run');
  await writeFakeRun(runDir);
  const csv = path.join(runDir, 'results.csv');
  const lines = fs.readFileSync(csv, 'utf8').split('\n');
  fs.writeFileSync(csv, lines.filter((line) => !line.includes(',2,0.05,400,pretrained,')).join('\n'));
  const result = await runCli('report.ts', ['run'], cwd);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /results\.csv is invalid: at fraction 0\.05 \(400 labels\) seed 2 has a baseline row but no pretrained row/);
  assert.ok(!fs.existsSync(path.join(runDir, 'report.html')), 'a report was built from unpaired rows');
});

test('--depth 6 --hidden 8192 is caught before training with the memory it would need (issue 15, case 7)', async () => {
  const cwd = tempFolder('too-big');
  writeTinyCsv(path.join(cwd, 't.csv'));
  const args = tinyCsvArgs('t.csv').map((a, i, all) => (all[i - 1] === '--hidden' ? '8192' : a));
  const result = await runCli('run.ts', [...args, '--depth', '6', '--out', 'r'], cwd);
  refusedBeforeTraining(result, /^error: --hidden 8192 --depth 6 --latent 4 make a model of [\d,]+ weights \(layers 6-262144-131072-65536-32768-16384-8192-4\); training it at --\S+ \d+ needs about [\d,.]+ GB of memory, and .*: lower --hidden or --depth\.$/);
});

test('the model-size check passes every shipped configuration and names the batch when activations are what does not fit', () => {
  const mnist = { inputKind: 'image' as const, features: 784, inputShape: [28, 28, 1], latent: 64, classCount: 10 };
  checkModelFits({ ...mnist, encoder: 'mlp', hidden: 256, depth: 1 }, [{ option: '--pretrain-batch-size', size: 128 }], 'wasm');
  checkModelFits({ ...mnist, encoder: 'mlp', hidden: 256, depth: 2 }, [{ option: '--pretrain-batch-size', size: 256 }, { option: '--pseudo-batch-size', size: 128, rows: 288 }], 'wasm');
  checkModelFits({ ...mnist, encoder: 'conv', hidden: 0, depth: 0 }, [{ option: '--pretrain-batch-size', size: 128 }], 'wasm');
  assert.throws(() => checkModelFits({ ...mnist, encoder: 'mlp', hidden: 4096, depth: 1 }, [{ option: '--batch-size', size: 65_536 }], 'wasm'), /lower --batch-size \(65536\)/);
});

test('npm run clean -- --cache-dir <a file> is one line, exit 2 (issue 15, case 8)', async () => {
  const cwd = tempFolder('clean-file');
  fs.writeFileSync(path.join(cwd, 'notes.txt'), 'x');
  const result = await runCli('clean.ts', ['--cache-dir', 'notes.txt'], cwd);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr.trim(), 'error: --cache-dir notes.txt is a file, not a folder: give the folder the pipeline used (default data).');
});

test('clean removes only what semisup wrote from a --cache-dir that holds other things too', () => {
  const root = tempFolder('clean-foreign');
  const own = path.join(root, 'prepare', '0123456789abcdef');
  fs.mkdirSync(own, { recursive: true });
  fs.writeFileSync(path.join(own, 'manifest.json'), JSON.stringify({ stage: 'prepare', key: '0123456789abcdef', createdAt: new Date().toISOString(), files: {} }));
  const keep = ['prepare/my-notes/a.txt', 'datasets/old-photos/p.jpg', 'datasets/mnist/README.txt', 'cache/thesis.pdf'];
  for (const file of keep) {
    fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true });
    fs.writeFileSync(path.join(root, file), 'mine');
  }
  fs.writeFileSync(path.join(root, 'datasets', 'mnist', 'train-labels-idx1-ubyte.gz'), 'idx');
  fs.writeFileSync(path.join(root, 'cache', 'mnist-0123456789abcdef0123.bin'), 'cache');
  const removed = cleanStore(root, { datasets: true }).map((p) => path.relative(root, p)).sort();
  assert.deepEqual(removed, ['cache/mnist-0123456789abcdef0123.bin', 'datasets/mnist/train-labels-idx1-ubyte.gz', 'prepare/0123456789abcdef']);
  for (const file of keep) assert.equal(fs.readFileSync(path.join(root, file), 'utf8'), 'mine', `${file} was removed`);
});

test('two fractions giving the same label count are refused before training (issue 15, case 10)', async () => {
  const cwd = tempFolder('same-count');
  writeTinyCsv(path.join(cwd, 't.csv'));
  const args = tinyCsvArgs('t.csv').map((a) => (a === '0.2,0.5' ? '0.2,0.2001' : a));
  const result = await runCli('run.ts', [...args, '--out', 'r'], cwd);
  refusedBeforeTraining(result, /^error: --labeled 0\.2 and 0\.2001 both give 19 labels of the 96-example pool, so they would run the same experiment twice: drop one of them\.$/);
});

test('npm run report -- <a file> and npm run bench -- --out-dir <a file> are one line, exit 2, before any work', async () => {
  const cwd = tempFolder('other-commands');
  fs.writeFileSync(path.join(cwd, 'a-file'), 'x');
  const report = await runCli('report.ts', ['a-file'], cwd);
  assert.equal(report.code, 2, report.stderr);
  assert.equal(report.stderr.trim(), 'error: a-file is a file, not a run folder: pass the folder a run printed at its end (e.g. reports/<run>).');
  // the check used to come after minutes of measuring
  const bench = await runCli('bench.ts', ['--quick', '--skip-pipeline', '--out-dir', 'a-file'], cwd, { timeoutMs: 120_000 });
  assert.equal(bench.code, 2, bench.stderr);
  assert.equal(bench.stderr.trim(), 'error: --out-dir a-file is a file, not a folder: give a folder path.');
  const repeats = await runCli('bench.ts', ['--repeats', 'abc'], cwd, { timeoutMs: 120_000 });
  assert.equal(repeats.code, 2, repeats.stderr);
  assert.equal(repeats.stderr.trim(), 'error: --repeats is not a number: give a whole number ≥ 1.');
  const switches = await runCli('clean.ts', ['--dry-run=yes'], cwd);
  assert.equal(switches.code, 2, switches.stderr);
  assert.match(switches.stderr, /--dry-run=yes: --dry-run is a switch and takes no value/);
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { readResultsCsv } from '../src/report/run-files.ts';
import type { JobRecord } from '../src/jobs/runner.ts';
import { inspectInChromium, skipWithoutChromium } from './fixtures/browser.ts';
import { once, runCli, tempFolder } from './fixtures/cli.ts';

const cwd = tempFolder('e2e');
const out = path.join(cwd, 'my-report');
/** The --quick run the tests below read or build on (run once, by whichever test comes first). */
const quickRun = once(() => runCli('run.ts', ['--quick', '--out', out], cwd));

test('a --quick run of the real CLI writes a complete report', async () => {
  const result = await quickRun();
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^backend: (tensorflow|wasm|cpu)/m);
  const lastLine = result.stdout.trim().split('\n').at(-1)!;
  assert.match(lastLine, /^report written to .*my-report\/report\.html/);
  assert.doesNotMatch(result.stderr, /warning/, 'healthy training was reported as a problem');
  for (const file of ['report.md', 'report.html', 'results.csv', 'summary.csv', 'params.json', 'curves.json', 'confusion.json', 'pictures.json', 'jobs.json']) {
    assert.ok(fs.existsSync(path.join(out, file)), `${file} missing`);
  }
  const header = fs.readFileSync(path.join(out, 'results.csv'), 'utf8').split('\n')[0].split(',');
  for (const column of ['seed', 'fraction', 'labeled', 'arm', 'accuracy']) assert.ok(header.includes(column), `results.csv lacks ${column}`);
  const rows = await readResultsCsv(path.join(out, 'results.csv'));
  assert.deepEqual([...new Set(rows.map((r) => r.arm))].sort(), ['baseline', 'pretrained']);
  assert.equal(rows.length, 2 * 2, 'one row per seed × fraction × arm (1 seed, 2 fractions)');
  for (const row of rows) assert.ok(row.accuracy > 0.3 && row.accuracy <= 1, `accuracy ${row.accuracy}`);
  // The default validation split (5 per class) is scored: every row has its validation accuracy.
  assert.ok(header.includes('valAccuracy'));
  for (const row of rows) assert.ok(row.valAccuracy >= 0 && row.valAccuracy <= 1, `valAccuracy ${row.valAccuracy}`);
  const summaryHeader = fs.readFileSync(path.join(out, 'summary.csv'), 'utf8').split('\n')[0].split(',');
  assert.ok(summaryHeader.includes('p_holm'), 'summary.csv lacks p_holm');
  const params = JSON.parse(fs.readFileSync(path.join(out, 'params.json'), 'utf8'));
  assert.ok(['tensorflow', 'wasm', 'cpu'].includes(params.environment.backend));
  assert.equal(params.config.pretrainEpochs, 4);
  assert.deepEqual(params.preset, { name: 'quick', chosenOn: 'none' });
  assert.equal(params.selection.pretrainEpochs, 'preset');
  assert.equal(params.selection.out, 'user');
  assert.equal(params.selection.learningRate, 'default');
  const report = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  assert.match(report, /pretrain/i);
  assert.ok(fs.existsSync(path.join(cwd, 'data', 'pretrain')), 'stage outputs are cached under data/');
});

test('the --quick run\'s report.html renders in Chromium with no console errors and every chart and picture', { skip: skipWithoutChromium, timeout: 60_000 }, async () => {
  assert.equal((await quickRun()).code, 0);
  const facts = await inspectInChromium(path.join(out, 'report.html'));
  assert.deepEqual(facts.problems, []);
  assert.deepEqual(facts.requests, [], 'the report fetched something from the network');
  assert.equal(facts.charts, 8);
  assert.equal(facts.images.length, 1);
  assert.ok(facts.images[0] > 0, 'the reconstruction PNG did not decode');
});

test('a rerun with the same config trains nothing and reproduces the numbers', async () => {
  assert.equal((await quickRun()).code, 0);
  const again = path.join(cwd, 'again');
  const result = await runCli('run.ts', ['--quick', '--out', again], cwd);
  assert.equal(result.code, 0, result.stderr);
  const jobs = JSON.parse(fs.readFileSync(path.join(again, 'jobs.json'), 'utf8')) as JobRecord[];
  assert.ok(jobs.length > 0);
  assert.deepEqual(jobs.filter((job) => job.status !== 'cached'), [], 'a job ran again');
  assert.equal(fs.readFileSync(path.join(again, 'results.csv'), 'utf8'), fs.readFileSync(path.join(out, 'results.csv'), 'utf8'));
});

test('changing only the labeled fractions reuses the split and the pretrained encoder', async () => {
  assert.equal((await quickRun()).code, 0);
  const more = path.join(cwd, 'more');
  const result = await runCli('run.ts', ['--quick', '--labeled', '0.01,0.02', '--out', more], cwd);
  assert.equal(result.code, 0, result.stderr);
  const jobs = JSON.parse(fs.readFileSync(path.join(more, 'jobs.json'), 'utf8')) as JobRecord[];
  const status = (id: string) => jobs.find((job) => job.id === id)?.status;
  assert.equal(status('prepare seed 1'), 'cached');
  assert.equal(status('pretrain seed 1'), 'cached');
  assert.equal(status('pretrained seed 1 fraction 0.01'), 'cached');
  assert.equal(status('pretrained seed 1 fraction 0.02'), 'ran');
  assert.equal(status('baseline seed 1 fraction 0.02'), 'ran');
});

test('--arms pseudo-label through the real CLI: reuses the encoder and the baseline, reports the arm', async () => {
  assert.equal((await quickRun()).code, 0);
  const pseudo = path.join(cwd, 'pseudo');
  const result = await runCli('run.ts', ['--quick', '--labeled', '0.01', '--arms', 'pseudo-label', '--pseudo-steps', '60', '--pseudo-batch-size', '32', '--out', pseudo], cwd);
  assert.equal(result.code, 0, result.stderr);
  const jobs = JSON.parse(fs.readFileSync(path.join(pseudo, 'jobs.json'), 'utf8')) as JobRecord[];
  const status = (id: string) => jobs.find((job) => job.id === id)?.status;
  assert.equal(status('pretrain seed 1'), 'cached');
  assert.equal(status('baseline seed 1 fraction 0.01'), 'cached');
  assert.equal(status('pseudo-label seed 1 fraction 0.01'), 'ran');
  assert.equal(status('pretrained seed 1 fraction 0.01'), undefined, 'only the arms asked for are planned');
  const rows = await readResultsCsv(path.join(pseudo, 'results.csv'));
  assert.deepEqual(rows.map((r) => r.arm).sort(), ['baseline', 'pseudo-label', 'step-matched'], 'pseudo-label brings its step-matched control');
  for (const row of rows) assert.ok(row.accuracy > 0.3 && row.accuracy <= 1, `${row.arm} accuracy ${row.accuracy}`);
  assert.match(fs.readFileSync(path.join(pseudo, 'report.md'), 'utf8'), /pseudo-label/);
});

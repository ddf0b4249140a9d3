import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { JobRecord } from '../src/jobs/runner.ts';
import { readResultsCsv } from '../src/report/run-files.ts';
import { once, runCli, tempFolder } from './fixtures/cli.ts';

const cwd = tempFolder('e2e-tune');
const ARGS = ['--quick', '--seeds', '2', '--validation', '5', '--arms', 'pretrained', '--trials', '3'];
const tuneRun = once(() => runCli('tune.ts', [...ARGS, '--out', 'tuned'], cwd));

test('npm run tune: the same trials for the baseline and the arm, chosen on validation, recorded in tuning.csv, params.json and the report', async () => {
  const result = await tuneRun();
  assert.equal(result.code, 0, result.stderr);
  const out = path.join(cwd, 'tuned');
  const lines = fs.readFileSync(path.join(out, 'tuning.csv'), 'utf8').trim().split('\n');
  assert.equal(lines[0], 'arm,trial,labeled,finetuneEpochs,learningRate,valAccuracy,kept');
  const rows = lines.slice(1).map((line) => line.split(','));
  for (const arm of ['baseline', 'pretrained']) {
    const mine = rows.filter((r) => r[0] === arm);
    assert.equal(mine.length, 3 * 2, `${arm}: 3 trials × 2 label budgets`);
    assert.deepEqual([...new Set(mine.map((r) => r[1]))].sort(), ['1', '2', '3']);
    for (const labeled of ['80', '400']) assert.equal(mine.filter((r) => r[2] === labeled && r[6] === 'yes').length, 1, `${arm} keeps one trial at ${labeled} labels`);
  }
  const params = JSON.parse(fs.readFileSync(path.join(out, 'params.json'), 'utf8'));
  assert.equal(params.selection.learningRate, 'validation');
  assert.equal(params.selection.finetuneEpochs, 'validation');
  assert.equal(params.tuning.trials, 3);
  assert.equal(params.tuning.chosen.length, 2 * 2);
  // The final run is scored on the test set, with the kept settings' validation accuracy beside it.
  const results = await readResultsCsv(path.join(out, 'results.csv'));
  assert.equal(results.length, 2 * 2 * 2);
  for (const row of results) assert.ok(row.valAccuracy >= 0 && row.accuracy > 0.3, `${row.arm}: ${row.valAccuracy}, ${row.accuracy}`);
  const report = fs.readFileSync(path.join(out, 'report.md'), 'utf8');
  assert.match(report, /Settings chosen on the validation split by npm run tune: 3 trials per arm, the baseline's included/);
  assert.match(report, /the test set was not read while tuning/);
});

test('a second tuning run with the same options trains nothing', async () => {
  assert.equal((await tuneRun()).code, 0);
  const again = await runCli('tune.ts', [...ARGS, '--out', 'again'], cwd);
  assert.equal(again.code, 0, again.stderr);
  const jobs = JSON.parse(fs.readFileSync(path.join(cwd, 'again', 'jobs.json'), 'utf8')) as JobRecord[];
  assert.deepEqual(jobs.filter((job) => job.status !== 'cached').map((job) => job.id), []);
  assert.equal(fs.readFileSync(path.join(cwd, 'again', 'tuning.csv'), 'utf8'), fs.readFileSync(path.join(cwd, 'tuned', 'tuning.csv'), 'utf8'));
});

test('the tuned run reruns through the pipeline from its params.json: each arm with its kept settings, every job cached, the same accuracies', async () => {
  assert.equal((await tuneRun()).code, 0);
  const params = JSON.parse(fs.readFileSync(path.join(cwd, 'tuned', 'params.json'), 'utf8'));
  assert.equal(params.selection.armSettings, 'validation');
  const kept = params.config.armSettings as { arm: string; budget: string; settings: Record<string, number> }[];
  assert.deepEqual(kept.map((e) => `${e.arm} ${e.budget}`).sort(), ['baseline fraction 0.01', 'baseline fraction 0.05', 'pretrained fraction 0.01', 'pretrained fraction 0.05']);
  for (const entry of kept) {
    const chosen = params.tuning.chosen.find((c: { arm: string; labeled: number }) => c.arm === entry.arm && (entry.budget === 'fraction 0.01') === (c.labeled === 80));
    assert.deepEqual(entry.settings, chosen.settings, `${entry.arm} ${entry.budget}`);
  }
  const rerun = await runCli('run.ts', ['--config', path.join('tuned', 'params.json'), '--out', 'rerun'], cwd);
  assert.equal(rerun.code, 0, rerun.stderr);
  const jobs = JSON.parse(fs.readFileSync(path.join(cwd, 'rerun', 'jobs.json'), 'utf8')) as JobRecord[];
  assert.deepEqual(jobs.filter((job) => job.status !== 'cached').map((job) => job.id), []);
  const accuracies = async (run: string) => (await readResultsCsv(path.join(cwd, run, 'results.csv'))).map((r) => `${r.arm} ${r.seed} ${r.labeled} ${r.accuracy}`).sort();
  assert.deepEqual(await accuracies('rerun'), await accuracies('tuned'));
  assert.match(fs.readFileSync(path.join(cwd, 'rerun', 'report.md'), 'utf8'), /These arms train with settings of their own/);
});

test('bad --arm-settings are one-line errors naming the entry and the fix (exit 2)', async () => {
  const dir = tempFolder('arm-settings-bad');
  for (const [value, message] of [
    ['{"arm": "pretrained"}', /^error: --arm-settings must be a list/],
    ['[{"arm": "pretrianed", "settings": {"learningRate": 0.001}}]', /^error: --arm-settings: "pretrianed" is not an arm: use one of baseline, pretrained/],
    ['[{"arm": "pretrained", "settings": {"hidden": 64}}]', /^error: --arm-settings: pretrained cannot have its own "hidden": give one of learningRate, finetuneEpochs, batchSize, augmentShift/],
    ['[{"arm": "pretrained", "settings": {"learningRate": -1}}]', /^error: --arm-settings for pretrained: --learning-rate -1/],
    ['[{"arm": "pretrained", "budget": "ten", "settings": {"learningRate": 0.001}}]', /^error: --arm-settings: budget "ten" of pretrained is not a label budget/],
    ['[{"arm": "step-matched", "settings": {"learningRate": 0.001}}]', /^error: --arm-settings: step-matched takes the settings of pseudo-label/],
  ] as const) {
    const result = await runCli('run.ts', ['--quick', '--arm-settings', value, '--dry-run'], dir);
    assert.equal(result.code, 2, `${value}: ${result.stderr}`);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  }
});

test('per-arm settings a run never uses (another budget, an arm it does not train) are said in a warning', async () => {
  const own = [{ arm: 'pretrained', budget: 'fraction 0.5', settings: { learningRate: 0.002 } }, { arm: 'two-phase', settings: { headEpochShare: 0.25 } }];
  const result = await runCli('run.ts', ['--quick', '--arm-settings', JSON.stringify(own), '--dry-run'], tempFolder('arm-settings-unused'));
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /warning: --arm-settings for pretrained at fraction 0.5 are not used: this run's label budgets are fraction 0.01, fraction 0.05/);
  assert.match(result.stderr, /warning: --arm-settings for two-phase are not used: it is not among this run's arms \(baseline, pretrained\)/);
});

test('tuning without a validation set, or with a bad --trials, is a one-line error (exit 2)', async () => {
  for (const [argv, message] of [
    [['--quick', '--validation', '0'], /^error: npm run tune needs a validation set to choose on: give --validation K/],
    [['--quick', '--trials', '0'], /^error: --trials 0 is not a whole number from 1 to 1000/],
  ] as const) {
    const result = await runCli('tune.ts', [...argv], tempFolder('tune-bad'));
    assert.equal(result.code, 2, result.stderr);
    assert.match(result.stderr, message);
    assert.equal(result.stderr.trim().split('\n').length, 1);
  }
});

import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { ResultRow } from '../src/eval/results.ts';
import { findTrainingProblems, problemWarnings } from '../src/report/training-health.ts';
import { headline, summarise } from '../src/report/summary.ts';
import { runCli, tempFolder } from './fixtures/cli.ts';
import { makeFakeRun } from './fixtures/fake-run.ts';
import { tinyCsvArgs, writeTinyCsv } from './fixtures/tiny-csv.ts';

/** The fake run with both arms at the smallest fraction driven to one class, losses saturated. */
function divergedRun() {
  const run = makeFakeRun();
  const accuracies: Record<string, number> = { baseline: 0.086, pretrained: 0.103 };
  run.rows = run.rows.map((r): ResultRow => (r.fraction === 0.01 ? { ...r, accuracy: accuracies[r.arm] + 0.001 * r.seed } : r));
  for (const curve of run.curves) {
    if (curve.fraction === 0.01) curve.epochs = curve.epochs.map((e, i) => ({ ...e, loss: 13.7 + (i > 0 ? 1.05 : 0) }));
  }
  return run;
}

test('healthy training raises no problem', () => {
  assert.deepEqual(findTrainingProblems(makeFakeRun()), []);
  assert.deepEqual(findTrainingProblems(makeFakeRun({ image: false, classNames: ['a', 'b', 'c'] })), []);
});

test('arms at chance are found, warned about, and never headlined as a gain (issue 15, case 11)', () => {
  const run = divergedRun();
  const problems = findTrainingProblems(run);
  assert.deepEqual([...new Set(problems.map((p) => `${p.model} ${p.fraction}`))].sort(), ['baseline 0.01', 'pretrained 0.01']);
  assert.match(problems[0].what, /test accuracy [\d.]+ %, no better than always answering the largest class/);
  const summary = summarise(run.rows, problems);
  const first = summary.fractions[0].comparisons[0];
  assert.equal(first.significant, false);
  assert.match(first.verdict, /^not comparable: the baseline arm and the pretrained arm did not learn/);
  const sentence = headline(summary);
  assert.doesNotMatch(sentence, /raised|gain|helps/);
  assert.match(sentence, /^With 80 labels, there is no comparison to report: the baseline arm and the pretrained arm did not learn/);
  // the other fractions are sound and keep their verdicts
  assert.equal(summary.fractions[1].comparisons[0].unusable, undefined);
  const warnings = problemWarnings(problems, () => 80);
  assert.equal(warnings.length, 2);
  assert.match(warnings[0], /arm did not learn at 80 labels \(seeds 1, 2, 3; seed 1: .*lower --learning-rate and rerun\.$/);
  // a loss that grows without NaN is caught even when the accuracy happens to look fine
  const growing = makeFakeRun();
  const curve = growing.curves.find((c) => c.model === 'baseline' && c.seed === 1 && c.fraction === 0.1)!;
  curve.epochs = curve.epochs.map((e, i) => ({ ...e, loss: 0.5 + i }));
  assert.match(findTrainingProblems(growing).map((p) => p.what).join(), /training loss grew from 0\.50 to 19\.50/);
});

test('a run whose training diverges says so in the terminal and the report, and headlines no gain (issue 15, case 11)', async () => {
  const cwd = tempFolder('diverged');
  writeTinyCsv(path.join(cwd, 't.csv'));
  const result = await runCli('run.ts', [...tinyCsvArgs('t.csv'), '--learning-rate', '10', '--out', 'r'], cwd);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stderr, /^warning: the baseline arm did not learn at 19 labels/m);
  assert.match(result.stdout, /^With 19 labels, there is no comparison to report: /m);
  assert.doesNotMatch(result.stdout, /raised|helps/);
  const report = fs.readFileSync(path.join(cwd, 'r', 'report.md'), 'utf8');
  assert.match(report, /Warning: training went wrong, so some numbers below are not results\./);
  assert.match(report, /not comparable: /);
});

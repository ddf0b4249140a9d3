import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ArmName } from '../src/arms/index.ts';
import type { ResultRow } from '../src/eval/results.ts';
import { headline, summarise, terminalTable, writeSummaryCsv } from '../src/report/summary.ts';
import { makeFakeRun } from './fixtures/fake-run.ts';

function row(seed: number, fraction: number, arm: ArmName, accuracy: number, labeled = 80): ResultRow {
  return { dataset: 'd', seed, fraction, labeled, arm, accuracy, macroF1: accuracy, epochs: 5, trainSeconds: 1, backend: 'cpu', valAccuracy: NaN };
}

const close = (a: number, b: number, tol = 1e-4) => assert.ok(Math.abs(a - b) < tol, `${a} ≉ ${b}`);

// baseline 70/72/74 %, pretrained 72/75/76 %: differences 2, 3, 2 points
const known: ResultRow[] = [
  row(1, 0.01, 'baseline', 0.70), row(2, 0.01, 'baseline', 0.72), row(3, 0.01, 'baseline', 0.74),
  row(3, 0.01, 'pretrained', 0.76), row(1, 0.01, 'pretrained', 0.72), row(2, 0.01, 'pretrained', 0.75),
  row(1, 0.1, 'baseline', 0.90, 800), row(2, 0.1, 'baseline', 0.91, 800), row(3, 0.1, 'baseline', 0.92, 800),
  row(1, 0.1, 'pretrained', 0.91, 800), row(2, 0.1, 'pretrained', 0.90, 800), row(3, 0.1, 'pretrained', 0.92, 800),
];

test('summarise: known means, stds, paired Δ, CI and p (pairs by seed, not by row order)', () => {
  const s = summarise(known);
  assert.deepEqual(s.fractions.map((f) => f.fraction), [0.01, 0.1]);
  assert.deepEqual(s.arms, ['pretrained']);
  const f = s.fractions[0];
  assert.equal(f.labeled, 80);
  close(f.baselineMean, 72);
  close(f.baselineStd, 2);
  const c = f.comparisons[0];
  close(c.armMean, 74.3333);
  close(c.armStd, 2.0817);
  close(c.delta, 2.3333);
  // t = 7 with 2 df: p = 1 − 7/√51, CI = Δ ± 4.302653 · (0.57735/√3)
  close(c.pValue, 1 - 7 / Math.sqrt(51));
  close(c.ciLow, 2.3333 - 4.302653 * (0.57735 / Math.sqrt(3)), 1e-3);
  close(c.ciHigh, 2.3333 + 4.302653 * (0.57735 / Math.sqrt(3)), 1e-3);
  assert.equal(c.n, 3);
  // Two comparisons in the run: Holm doubles the smaller p-value (0.0198 → 0.0396), still below 5 %.
  assert.equal(s.tests, 2);
  close(c.pHolm, 2 * c.pValue);
  assert.equal(c.significant, true);
  assert.equal(c.verdict, 'pretraining helps: +2.3 points, significant at 5 % (Holm)');
  assert.equal(s.fractions[1].comparisons[0].verdict, 'no significant difference');
});

test('verdicts: hurts, one seed, no baseline', () => {
  const hurts = summarise([
    row(1, 0.01, 'baseline', 0.80), row(2, 0.01, 'baseline', 0.81), row(3, 0.01, 'baseline', 0.82),
    row(1, 0.01, 'frozen', 0.70), row(2, 0.01, 'frozen', 0.72), row(3, 0.01, 'frozen', 0.71),
  ]);
  assert.match(hurts.fractions[0].comparisons[0].verdict, /^the frozen pretrained encoder hurts: −10\.0 points, significant at 5 % \(Holm\)$/);
  const one = summarise([row(1, 0.01, 'baseline', 0.8), row(1, 0.01, 'pretrained', 0.81)]);
  assert.equal(one.fractions[0].comparisons[0].verdict, 'only one seed: no significance test');
  assert.match(headline(one), /only one seed, so no significance test\.$/);
  const none = summarise([row(1, 0.01, 'pretrained', 0.8)]);
  assert.equal(none.fractions[0].comparisons[0].verdict, 'no baseline to compare with');
  assert.match(headline(none), /no baseline to compare with/);
});

test('headline: smallest labeled count, pretrained arm, CI and p, plain about significance', () => {
  assert.equal(
    headline(summarise(known)),
    'With 80 labels, pretraining raised accuracy from 72.0 % to 74.3 % (+2.3 points, 95 % CI 0.9…3.8, p = 0.040 after Holm\'s correction for 2 comparisons, 3 seeds): significant at 5 %.',
  );
  const flat = known.filter((r) => r.fraction === 0.1);
  assert.match(headline(summarise(flat)), /^With 800 labels, pretraining left accuracy at 91\.0 % \(0\.0 points, .*p = 1\.00, 3 seeds\): not significant\.$/);
});

test('headline: without a pretrained arm, the first arm in the fixed order, not the best-looking one', () => {
  const rows = [
    row(1, 0.01, 'baseline', 0.7), row(2, 0.01, 'baseline', 0.7),
    row(1, 0.01, 'pca', 0.81), row(2, 0.01, 'pca', 0.82),
    row(1, 0.01, 'frozen', 0.75), row(2, 0.01, 'frozen', 0.74),
  ];
  assert.match(headline(summarise(rows)), /the frozen pretrained encoder raised accuracy/);
});

test('terminalTable aligns columns; summary.csv has one line per fraction × arm', async () => {
  const s = summarise(makeFakeRun().rows);
  const text = terminalTable(s);
  const lines = text.split('\n');
  assert.equal(lines.length, 2 + 3);
  assert.match(lines[0], /^labels\s+fraction\s+baseline %\s+pretrained %/);
  // numeric columns are right-aligned, so the "%" of every fraction cell ends at the same column
  const fractionEnds = lines.slice(2).map((l) => l.indexOf('%') );
  assert.equal(new Set(fractionEnds).size, 1);
  const dir = await mkdtemp(join(tmpdir(), 'semisup-summary-'));
  try {
    await writeSummaryCsv(join(dir, 'summary.csv'), s);
    const csv = (await readFile(join(dir, 'summary.csv'), 'utf8')).trim().split('\n');
    assert.equal(csv.length, 1 + 3);
    assert.match(csv[0], /^dataset,fraction,labeled,arm,reference,seeds,baseline_mean,.*,p_value,p_holm,significant,verdict$/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('Holm: a p-value below 5 % alone is not significant once the run\'s other comparisons are counted; verdicts and the headline use the corrected p', () => {
  // Four fractions, each a pretrained-vs-baseline comparison with p ≈ 0.02: corrected, every one is ≥ 0.05.
  const rows = [0.01, 0.02, 0.05, 0.1].flatMap((fraction) => [
    row(1, fraction, 'baseline', 0.70), row(2, fraction, 'baseline', 0.72), row(3, fraction, 'baseline', 0.74),
    row(1, fraction, 'pretrained', 0.72), row(2, fraction, 'pretrained', 0.75), row(3, fraction, 'pretrained', 0.76),
  ]);
  const s = summarise(rows);
  assert.equal(s.tests, 4);
  for (const f of s.fractions) {
    const c = f.comparisons[0];
    assert.ok(c.pValue < 0.05, `raw p ${c.pValue}`);
    assert.ok(c.pHolm >= 0.05, `Holm p ${c.pHolm}`);
    assert.equal(c.significant, false);
    assert.equal(c.verdict, 'no significant difference');
  }
  assert.match(headline(s), /after Holm's correction for 4 comparisons, 3 seeds\): not significant\.$/);
});

test('an arm with a step-matched control is compared with it too; both comparisons count for Holm', () => {
  const rows = [
    row(1, 0.01, 'baseline', 0.70), row(2, 0.01, 'baseline', 0.72), row(3, 0.01, 'baseline', 0.74),
    row(1, 0.01, 'pseudo-label', 0.80), row(2, 0.01, 'pseudo-label', 0.83), row(3, 0.01, 'pseudo-label', 0.84),
    row(1, 0.01, 'step-matched', 0.73), row(2, 0.01, 'step-matched', 0.74), row(3, 0.01, 'step-matched', 0.76),
  ];
  const s = summarise(rows);
  const f = s.fractions[0];
  assert.deepEqual(f.comparisons.map((c) => [c.arm, c.reference]), [['pseudo-label', 'baseline'], ['step-matched', 'baseline']]);
  assert.deepEqual(f.controlComparisons.map((c) => [c.arm, c.reference]), [['pseudo-label', 'step-matched']]);
  close(f.controlComparisons[0].delta, (80 + 83 + 84 - 73 - 74 - 76) / 3);
  close(f.controlComparisons[0].referenceMean, (73 + 74 + 76) / 3);
  assert.equal(s.tests, 3);
  assert.match(f.controlComparisons[0].verdict, /^pseudo-labelling helps over step-matched: \+8\.0 points/);
  assert.match(terminalTable(s), /Against step-matched controls/);
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { PNG } from 'pngjs';
import {
  confusionSpec, deltaPoints, deltaSpec, LATENT_MAP_MAX_POINTS, latentMapSpec, learningCurveSpec, perClassAccuracySpec,
  pretrainLossSpec, trainingCurvesAllSpec, trainingCurvesSpec,
} from '../src/report/chart-specs.ts';
import { perClassAccuracy, sumConfusions } from '../src/report/confusion.ts';
import { gridLayout, reconstructionGridPng } from '../src/report/digit-grid.ts';
import { compactSvg, renderSvg } from '../src/report/render-chart.ts';
import { summarise } from '../src/report/summary.ts';
import { makeFakeRun } from './fixtures/fake-run.ts';

type Values = Record<string, unknown>[];
const valuesOf = (spec: unknown): Values => (spec as { data: { values: Values } }).data.values;

const run = makeFakeRun();
const classNames = run.params.dataset.classNames;

test('learning-curve spec holds exactly the result rows (accuracy in %)', () => {
  const values = valuesOf(learningCurveSpec(run.rows));
  assert.equal(values.length, run.rows.length);
  assert.deepEqual(
    values,
    run.rows.map((r) => ({ seed: r.seed, arm: r.arm, fraction: r.fraction, labeled: r.labeled, accuracy: r.accuracy * 100 })),
  );
});

test('Δ chart has one point per fraction (one arm) with the summary numbers', () => {
  const summary = summarise(run.rows);
  const values = valuesOf(deltaSpec(summary));
  assert.equal(values.length, 3);
  assert.deepEqual(values.map((v) => v.fraction), [0.01, 0.05, 0.1]);
  summary.fractions.forEach((f, i) => {
    assert.equal(values[i].delta, f.comparisons[0].delta);
    assert.equal(values[i].ciLow, f.comparisons[0].ciLow);
  });
  const two = summarise(makeFakeRun({ arms: ['baseline', 'pretrained', 'frozen'] }).rows);
  assert.equal(deltaPoints(two).length, 6);
});

test('curve specs: one autoencoder line per seed; classifier curves only at the asked fraction', () => {
  const pre = valuesOf(pretrainLossSpec(run.curves));
  assert.deepEqual([...new Set(pre.map((v) => v.seed))], ['seed 1', 'seed 2', 'seed 3']);
  assert.equal(pre.length, 3 * 12);
  const tc = valuesOf(trainingCurvesSpec(run.curves, 0.01, 80));
  assert.ok(tc.every((v) => v.fraction === '1 %'));
  assert.deepEqual([...new Set(tc.map((v) => v.arm))].sort(), ['baseline', 'pretrained']);
  assert.equal(pretrainLossSpec(run.curves.filter((c) => c.model !== 'autoencoder')), undefined);
  assert.equal(trainingCurvesSpec(run.curves, 0.5, 4000), undefined);
  assert.ok(trainingCurvesAllSpec(run.curves));
});

test('latent map draws both panels and caps the points', () => {
  const values = valuesOf(latentMapSpec(run.pictures!, classNames));
  assert.equal(values.length, 2 * 600);
  const big = makeFakeRun().pictures!;
  const n = 5000;
  big.latentMap = { ...big.latentMap, labels: new Array(n).fill(1), latent2d: new Array(2 * n).fill(0), pixels2d: new Array(2 * n).fill(0) };
  assert.ok(valuesOf(latentMapSpec(big, classNames)).length <= 2 * LATENT_MAP_MAX_POINTS);
});

test('confusion: summed over seeds; heatmap and per-class values match the matrices', () => {
  const base = sumConfusions(run.confusions, 0.01, 'baseline')!;
  const perSeed = run.confusions.filter((c) => c.fraction === 0.01 && c.arm === 'baseline');
  assert.equal(perSeed.length, 3);
  assert.equal(base[2][2], perSeed.reduce((s, c) => s + c.matrix[2][2], 0));
  const matrices = [{ arm: 'baseline' as const, matrix: base }];
  const cells = valuesOf(confusionSpec(matrices, classNames, 't'));
  assert.equal(cells.length, 100);
  assert.equal(cells.reduce((s, c) => s + (c.count as number), 0), base.flat().reduce((a, b) => a + b, 0));
  const bars = valuesOf(perClassAccuracySpec(matrices, classNames, 't'));
  assert.deepEqual(bars.map((b) => b.accuracy), perClassAccuracy(base));
  assert.deepEqual(perClassAccuracy([[3, 1], [0, 0]]), [75, NaN]);
});

test('every spec renders to SVG without vega warnings, in well under a second each', async () => {
  const summary = summarise(run.rows);
  const matrices = (['baseline', 'pretrained'] as const).map((arm) => ({ arm, matrix: sumConfusions(run.confusions, 0.01, arm)! }));
  const specs = {
    learning: learningCurveSpec(run.rows), delta: deltaSpec(summary), pre: pretrainLossSpec(run.curves)!,
    training: trainingCurvesSpec(run.curves, 0.01, 80)!, all: trainingCurvesAllSpec(run.curves)!,
    latent: latentMapSpec(run.pictures!, classNames), confusion: confusionSpec(matrices, classNames, 'c'), perClass: perClassAccuracySpec(matrices, classNames, 'p'),
  };
  for (const [name, spec] of Object.entries(specs)) {
    const warnings: string[] = [];
    const svg = await renderSvg(spec, { name, onWarning: (w) => warnings.push(w) });
    assert.match(svg, /^<svg[^>]+viewBox/);
    assert.deepEqual(warnings, [], `${name} warned`);
    assert.ok(svg.includes('<text'), `${name} has text`);
  }
});

test('compactSvg rounds attribute numbers only', () => {
  assert.equal(compactSvg('<path d="M1.23456,2.5L3.14159,0"/><text x="1.23456">0.123456</text>'), '<path d="M1.23,2.5L3.14,0"/><text x="1.23">0.123456</text>');
});

test('reconstruction grid: originals on top, reconstructions below, scaled ×2 with borders', () => {
  const pics = run.pictures!;
  const png = PNG.sync.read(reconstructionGridPng(pics));
  const layout = gridLayout(pics);
  assert.equal(png.width, layout.width);
  assert.equal(png.height, layout.height);
  assert.equal(layout.perRow, 8);
  assert.equal(layout.rows, 2);
  assert.equal(png.width, 8 * (56 + 1) + 1);
  // pixel (14, 14) of the first original, scaled ×2 and offset by the 1-px border
  const px = (x: number, y: number) => png.data[(y * png.width + x) * 4];
  assert.equal(px(1 + 28, 1 + 28), Math.round(255 * pics.reconstruction.originals[14 * 28 + 14]));
  const top = layout.rows * layout.cellHeight + 1 + 6; // second half starts after the gap
  assert.equal(px(1 + 28, top + 1 + 28), Math.round(255 * pics.reconstruction.reconstructed[14 * 28 + 14]));
  assert.throws(() => reconstructionGridPng({ ...pics, inputShape: [784] }), /not an image/);
});

test('reconstruction grid of RGB images keeps each pixel\'s colour', () => {
  // Two 2×2 RGB images: every pixel of the first pure red, of the second pure blue.
  const red = [1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0];
  const blue = [0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1];
  const pics = { inputShape: [2, 2, 3], reconstruction: { originals: [...red, ...blue], reconstructed: [...blue, ...red], count: 2 } };
  const png = PNG.sync.read(reconstructionGridPng(pics, { scale: 1 }));
  const rgb = (x: number, y: number) => Array.from(png.data.subarray((y * png.width + x) * 4, (y * png.width + x) * 4 + 3));
  assert.deepEqual(rgb(1, 1), [255, 0, 0]);
  assert.deepEqual(rgb(1 + 3, 1), [0, 0, 255]);
  const top = gridLayout(pics, { scale: 1 }).cellHeight + 1 + 6;
  assert.deepEqual(rgb(1, top + 1), [0, 0, 255]);
});

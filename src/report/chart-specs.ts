/**
 * Vega-Lite specs for every chart of the report, as pure functions of the
 * run's data (no rendering, no I/O), so a test can check that a chart holds
 * the right numbers without drawing it. render-chart.ts turns them into SVG.
 */
import type { TopLevelSpec } from 'vega-lite';
import { inArmOrder, type ArmName } from '../arms/index.ts';
import type { ResultRow } from '../eval/results.ts';
import { armColourScale, CHART_CONFIG, FULL_WIDTH, HALF_WIDTH } from './chart-theme.ts';
import { perClassAccuracy } from './confusion.ts';
import { fractionText } from './format.ts';
import type { TrainingCurve } from '../train/curves.ts';
import type { RunPictures } from './run-record.ts';
import type { Summary } from './summary.ts';

/** Arms present, baseline first, in the arms' fixed order so colours and legends agree across charts. */
export function orderedArms(arms: Iterable<ArmName>): ArmName[] {
  return inArmOrder(arms);
}

/** JSON-safe number: vega treats null as missing, while NaN would leak into scales. */
function val(x: number | undefined): number | null {
  return x === undefined || !Number.isFinite(x) ? null : x;
}

function armColour(arms: readonly ArmName[], title = 'arm') {
  return { field: 'arm', type: 'nominal' as const, title, scale: armColourScale(arms), sort: [...arms] };
}

/** A log-scaled "labeled examples" x axis with ticks exactly at the run's label counts. */
function labeledAxis(labeled: readonly number[], field = 'labeled') {
  const ticks = [...new Set(labeled.map((l) => Math.round(l)))].sort((a, b) => a - b);
  const lo = ticks[0] ?? 1;
  const hi = ticks[ticks.length - 1] ?? 10;
  return {
    field,
    type: 'quantitative' as const,
    title: 'labeled examples (log scale)',
    scale: { type: 'log' as const, domain: [lo / 1.5, hi * 1.5], nice: false },
    axis: { values: ticks, format: ',d', grid: true },
  };
}

/** Vega expression that spreads arms a few percent apart on the log axis, so overlapping seeds stay visible. */
function jitterExpr(arms: readonly ArmName[], field: string): string {
  const step = 0.05;
  const mid = (arms.length - 1) / 2;
  const cases = arms.map((a, i) => `datum.arm === '${a}' ? ${(1 + step * (i - mid)).toFixed(3)}`).join(' : ');
  return `datum.${field} * (${cases} : 1)`;
}

/**
 * Learning curve: test accuracy against labeled examples (log x), one
 * colour per arm, every seed's point, the mean line and a mean ± std band.
 * Data values are the result rows themselves (accuracy in %).
 */
export function learningCurveSpec(rows: readonly ResultRow[]): TopLevelSpec {
  const arms = orderedArms(rows.map((r) => r.arm));
  const values = rows.map((r) => ({ seed: r.seed, arm: r.arm, fraction: r.fraction, labeled: r.labeled, accuracy: r.accuracy * 100 }));
  const x = labeledAxis(rows.map((r) => r.labeled));
  const color = armColour(arms);
  const y = { field: 'accuracy', type: 'quantitative' as const, title: 'test accuracy (%)', scale: { zero: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CHART_CONFIG,
    title: { text: 'Learning curve', subtitle: 'dots: one per seed · line: mean · band: mean ± std' },
    width: HALF_WIDTH,
    height: 280,
    data: { values },
    layer: [
      { mark: { type: 'errorband', extent: 'stdev', opacity: 0.2 }, encoding: { x, y, color } },
      { mark: { type: 'line', strokeWidth: 2 }, encoding: { x, y: { ...y, aggregate: 'mean' }, color } },
      {
        transform: [{ calculate: jitterExpr(arms, 'labeled'), as: 'labeledJitter' }],
        mark: { type: 'point', filled: true, size: 45, opacity: 0.8, stroke: 'white', strokeWidth: 0.5 },
        encoding: { x: { ...x, field: 'labeledJitter' }, y, color },
      },
    ],
  } as TopLevelSpec;
}

/** One point of the Δ chart: an arm's paired difference from the baseline at one fraction. */
export interface DeltaPoint {
  fraction: number;
  labeled: number;
  arm: ArmName;
  delta: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  pValue: number | null;
  seeds: number;
  significant: boolean;
  label: string;
}

/** The data of the Δ chart: one point per fraction and non-baseline arm that has a baseline to pair with. */
export function deltaPoints(summary: Summary): DeltaPoint[] {
  return summary.fractions.flatMap((f) =>
    f.comparisons.filter((c) => Number.isFinite(c.delta)).map((c) => ({
      fraction: f.fraction,
      labeled: f.labeled,
      arm: c.arm,
      delta: val(c.delta),
      ciLow: val(c.ciLow),
      ciHigh: val(c.ciHigh),
      pValue: val(c.pValue),
      seeds: c.n,
      significant: c.significant,
      label: `${c.delta > 0 ? '+' : ''}${c.delta.toFixed(1)}${c.significant ? ' *' : ''}`,
    })));
}

/** Paired Δ (arm − baseline, points) per fraction with 95 % CI error bars and a zero rule; filled = significant. */
export function deltaSpec(summary: Summary): TopLevelSpec {
  const values = deltaPoints(summary);
  const arms = orderedArms(values.map((v) => v.arm));
  const x = labeledAxis(values.map((v) => v.labeled), 'labeledJitter');
  const color = armColour(arms);
  const jitter = { calculate: jitterExpr(arms, 'labeled'), as: 'labeledJitter' };
  const yTitle = 'Δ accuracy vs baseline (points)';
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CHART_CONFIG,
    title: { text: 'Paired difference from the baseline', subtitle: ['bars: 95 % CI of the mean difference', 'filled dot and *: significant at 5 %'] },
    width: HALF_WIDTH,
    height: 280,
    data: { values },
    transform: [jitter],
    layer: [
      { mark: { type: 'rule', color: '#888', strokeDash: [4, 3] }, encoding: { y: { datum: 0, type: 'quantitative' } } },
      {
        mark: { type: 'rule', strokeWidth: 2 },
        encoding: { x, y: { field: 'ciLow', type: 'quantitative', title: yTitle, scale: { nice: true, padding: 12 } }, y2: { field: 'ciHigh' }, color },
      },
      {
        transform: [{ filter: 'datum.significant' }],
        mark: { type: 'point', filled: true, size: 80 },
        encoding: { x, y: { field: 'delta', type: 'quantitative', title: yTitle }, color },
      },
      {
        transform: [{ filter: '!datum.significant' }],
        mark: { type: 'point', filled: false, size: 80, strokeWidth: 2, fill: 'white', fillOpacity: 1 },
        encoding: { x, y: { field: 'delta', type: 'quantitative', title: yTitle }, color },
      },
      {
        mark: { type: 'text', align: 'left', dx: 8, dy: -8, fontSize: 11 },
        encoding: { x, y: { field: 'delta', type: 'quantitative' }, text: { field: 'label' }, color },
      },
    ],
  } as TopLevelSpec;
}

/** Epoch logs flattened for line charts; accuracy in %, NaN losses as gaps. */
interface EpochPoint {
  seed: string;
  arm?: string;
  fraction?: string;
  epoch: number;
  metric: string;
  split: string;
  value: number | null;
}

function epochPoints(curve: TrainingCurve, withAccuracy: boolean): EpochPoint[] {
  const seed = `seed ${curve.seed}`;
  const extra = curve.model === 'autoencoder' ? {} : { arm: curve.model, fraction: fractionText(curve.fraction ?? NaN) };
  const out: EpochPoint[] = [];
  for (const e of curve.epochs) {
    out.push({ seed, ...extra, epoch: e.epoch, metric: 'loss', split: 'training', value: val(e.loss) });
    if (withAccuracy && e.accuracy !== undefined) out.push({ seed, ...extra, epoch: e.epoch, metric: 'accuracy (%)', split: 'training', value: val(e.accuracy * 100) });
    if (withAccuracy && e.valAccuracy !== undefined) out.push({ seed, ...extra, epoch: e.epoch, metric: 'accuracy (%)', split: 'validation', value: val(e.valAccuracy * 100) });
  }
  return out;
}

/** Autoencoder reconstruction loss per epoch, one line per seed; undefined when the run did not pretrain. */
export function pretrainLossSpec(curves: readonly TrainingCurve[]): TopLevelSpec | undefined {
  const values = curves.filter((c) => c.model === 'autoencoder').flatMap((c) => epochPoints(c, false));
  if (values.length === 0) return undefined;
  const hasVal = values.some((v) => v.split === 'validation');
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CHART_CONFIG,
    title: { text: 'Pretraining: reconstruction loss', subtitle: 'autoencoder on the unlabeled pool, one line per seed' },
    width: HALF_WIDTH,
    height: 240,
    data: { values },
    mark: { type: 'line', point: { size: 18 }, strokeWidth: 1.8 },
    encoding: {
      x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
      y: { field: 'value', type: 'quantitative', title: 'reconstruction loss', scale: { zero: false } },
      color: { field: 'seed', type: 'nominal', title: 'seed', scale: { scheme: 'dark2' } },
      ...(hasVal ? { strokeDash: { field: 'split', type: 'nominal', title: 'split' } } : {}),
    },
  } as TopLevelSpec;
}

/** Classifier loss and accuracy per epoch at one fraction: a panel per metric, colour = arm, one line per seed. */
export function trainingCurvesSpec(curves: readonly TrainingCurve[], fraction: number, labeled: number): TopLevelSpec | undefined {
  const mine = curves.filter((c) => c.model !== 'autoencoder' && c.fraction === fraction);
  const values = mine.flatMap((c) => epochPoints(c, true));
  if (values.length === 0) return undefined;
  const arms = orderedArms(mine.map((c) => c.model as ArmName));
  const hasVal = values.some((v) => v.split === 'validation');
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CHART_CONFIG,
    title: {
      text: `Classifier training at ${Math.round(labeled).toLocaleString('en-US')} labels (${fractionText(fraction)})`,
      subtitle: hasVal ? 'solid: training · dashed: validation (held-out labeled examples, never trained on) · one line per seed' : 'one line per seed',
    },
    data: { values },
    facet: { column: { field: 'metric', type: 'nominal', title: null, sort: ['loss', 'accuracy (%)'] } },
    spec: {
      width: FULL_WIDTH / 2 - 60,
      height: 220,
      mark: { type: 'line', strokeWidth: 1.6, opacity: 0.85 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', title: null, scale: { zero: false } },
        color: armColour(arms),
        detail: { field: 'seed', type: 'nominal' },
        ...(hasVal ? { strokeDash: { field: 'split', type: 'nominal', title: 'split', sort: ['training', 'validation'] } } : {}),
      },
    },
    resolve: { scale: { y: 'independent' } },
  } as TopLevelSpec;
}

/** Validation (else training) accuracy per epoch at every fraction, a panel per fraction, to compare how fast arms learn. */
export function trainingCurvesAllSpec(curves: readonly TrainingCurve[]): TopLevelSpec | undefined {
  const mine = curves.filter((c) => c.model !== 'autoencoder');
  const all = mine.flatMap((c) => epochPoints(c, true)).filter((v) => v.metric === 'accuracy (%)');
  const split = all.some((v) => v.split === 'validation') ? 'validation' : 'training';
  const values = all.filter((v) => v.split === split);
  if (values.length === 0) return undefined;
  const fractions = [...new Set(mine.map((c) => c.fraction ?? NaN))].sort((a, b) => a - b).map(fractionText);
  const arms = orderedArms(mine.map((c) => c.model as ArmName));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CHART_CONFIG,
    title: { text: `${split === 'validation' ? 'Validation' : 'Training'} accuracy per epoch at every labeled fraction`, subtitle: 'one line per seed' },
    data: { values },
    facet: { column: { field: 'fraction', type: 'ordinal', title: 'labeled fraction', sort: fractions } },
    spec: {
      width: Math.max(160, Math.min(280, FULL_WIDTH / fractions.length - 50)),
      height: 180,
      mark: { type: 'line', strokeWidth: 1.4, opacity: 0.85 },
      encoding: {
        x: { field: 'epoch', type: 'quantitative', title: 'epoch', axis: { tickMinStep: 1, format: 'd' } },
        y: { field: 'value', type: 'quantitative', title: `${split} accuracy (%)`, scale: { zero: false } },
        color: armColour(arms),
        detail: { field: 'seed', type: 'nominal' },
      },
    },
  } as TopLevelSpec;
}

/** Most points a latent-map panel draws: enough to see clusters, few enough to keep the SVG small. */
export const LATENT_MAP_MAX_POINTS = 800;

/** Class colours: Tableau 10 up to ten classes, then a 20-colour scheme. */
function classScheme(k: number): string {
  return k <= 10 ? 'tableau10' : 'category20';
}

/** PCA 2-D scatter of test latents beside the same for raw pixels, coloured by class (data precomputed in pictures.json). */
export function latentMapSpec(pictures: RunPictures, classNames: readonly string[]): TopLevelSpec {
  const { labels, latent2d, pixels2d, latentExplained, pixelsExplained } = pictures.latentMap;
  const stride = Math.max(1, Math.ceil(labels.length / LATENT_MAP_MAX_POINTS));
  const latentPanel = `encoder latents (${Math.round(latentExplained * 100)} % of variance)`;
  const pixelPanel = `raw pixels (${Math.round(pixelsExplained * 100)} % of variance)`;
  const values: { panel: string; x: number; y: number; class: string }[] = [];
  for (let i = 0; i < labels.length; i += stride) {
    const cls = classNames[labels[i]] ?? String(labels[i]);
    values.push({ panel: latentPanel, x: latent2d[2 * i], y: latent2d[2 * i + 1], class: cls });
    values.push({ panel: pixelPanel, x: pixels2d[2 * i], y: pixels2d[2 * i + 1], class: cls });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CHART_CONFIG,
    title: { text: 'Latent map: first two principal components of test samples', subtitle: 'left: what the pretrained encoder sees · right: the raw input, for comparison' },
    data: { values },
    facet: { column: { field: 'panel', type: 'nominal', title: null, sort: [latentPanel, pixelPanel] } },
    spec: {
      width: FULL_WIDTH / 2 - 70,
      height: 340,
      mark: { type: 'circle', size: 14, opacity: 0.7, aria: false },
      encoding: {
        x: { field: 'x', type: 'quantitative', title: 'PC 1', axis: { labels: false, ticks: false, grid: false } },
        y: { field: 'y', type: 'quantitative', title: 'PC 2', axis: { labels: false, ticks: false, grid: false } },
        color: { field: 'class', type: 'nominal', title: 'class', sort: [...classNames], scale: { scheme: classScheme(classNames.length) } },
      },
    },
    resolve: { scale: { x: 'independent', y: 'independent' } },
  } as TopLevelSpec;
}

/** One summed confusion matrix per arm, to draw side by side. */
export interface ArmMatrix {
  arm: ArmName;
  matrix: number[][];
}

/** Confusion matrix heatmaps (counts summed over seeds; colour = share of the true class), one panel per arm. */
export function confusionSpec(matrices: readonly ArmMatrix[], classNames: readonly string[], title: string): TopLevelSpec {
  const values = matrices.flatMap(({ arm, matrix }) =>
    matrix.flatMap((row, t) => {
      const total = row.reduce((a, b) => a + b, 0) || 1;
      return row.map((n, p) => ({ arm, true: classNames[t] ?? String(t), predicted: classNames[p] ?? String(p), count: n, share: n / total }));
    }));
  const k = classNames.length;
  const cell = Math.max(12, Math.min(34, Math.floor(340 / k)));
  const order = [...classNames];
  const layer: object[] = [
    {
      mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5, aria: false },
      encoding: { color: { field: 'share', type: 'quantitative', title: 'share of true class', scale: { scheme: 'blues', type: 'sqrt', domain: [0, 1] }, legend: { format: '.0%', gradientLength: 160, titleLimit: 300 } } },
    },
  ];
  if (k <= 15) {
    layer.push({
      mark: { type: 'text', fontSize: cell >= 30 ? 10 : 8, aria: false },
      encoding: {
        text: { field: 'count', type: 'quantitative' },
        color: { condition: { test: 'datum.share > 0.45', value: 'white' }, value: '#333' },
      },
    });
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CHART_CONFIG,
    title: { text: title, subtitle: 'cell: number of test samples, summed over seeds · colour: share of the row (true class)' },
    data: { values },
    facet: { column: { field: 'arm', type: 'nominal', title: null, sort: matrices.map((m) => m.arm), header: { labelFontSize: 13, labelFontWeight: 600 } } },
    spec: {
      width: cell * k,
      height: cell * k,
      encoding: {
        x: { field: 'predicted', type: 'ordinal', sort: order, title: 'predicted class', axis: { labelAngle: 0 } },
        y: { field: 'true', type: 'ordinal', sort: order, title: 'true class' },
      },
      layer,
    },
  } as TopLevelSpec;
}

/** Per-class accuracy (recall, %) of each arm as grouped bars, from the summed confusion matrices. */
export function perClassAccuracySpec(matrices: readonly ArmMatrix[], classNames: readonly string[], title: string): TopLevelSpec {
  const values = matrices.flatMap(({ arm, matrix }) =>
    perClassAccuracy(matrix).map((acc, c) => ({ arm, class: classNames[c] ?? String(c), accuracy: val(acc) })));
  const arms = orderedArms(matrices.map((m) => m.arm));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    config: CHART_CONFIG,
    title: { text: title, subtitle: 'share of each true class predicted correctly, all seeds together' },
    width: FULL_WIDTH - 80,
    height: 220,
    data: { values },
    mark: { type: 'bar' },
    encoding: {
      x: { field: 'class', type: 'nominal', sort: [...classNames], title: 'true class', axis: { labelAngle: 0 } },
      xOffset: { field: 'arm', type: 'nominal', sort: arms },
      y: { field: 'accuracy', type: 'quantitative', title: 'accuracy (%)', scale: { domain: [0, 100] } },
      color: armColour(arms),
    },
  } as TopLevelSpec;
}

/**
 * The report as a document model — sections of paragraphs, tables and
 * figures — built once from a run's files. html.ts and markdown.ts only
 * render this model, which is why the two reports say the same things.
 */
import { armNamed, REFERENCE_ARM, type ArmName } from '../arms/index.ts';
import type { ArtifactStore } from '../artifacts/store.ts';
import { describeDataset } from '../data/sources.ts';
import {
  confusionSpec, deltaSpec, latentMapSpec, learningCurveSpec, perClassAccuracySpec, pretrainLossSpec,
  trainingCurvesAllSpec, trainingCurvesSpec, type ArmMatrix,
} from './chart-specs.ts';
import { sumConfusions } from './confusion.ts';
import { GRID_VERSION, reconstructionGridPng, gridLayout } from './digit-grid.ts';
import { drawnPng } from './figure-cache.ts';
import { armDescription, capitalise, count, fixed, fractionText, isBeyondSeed, pct } from './format.ts';
import { isFullMnist, publishedComparison, publishedProtocolMismatch } from './published-results.ts';
import { renderSvg } from './render-chart.ts';
import type { RunFiles } from './run-files.ts';
import type { FigureId } from './run-folder.ts';
import { recordedArmSettings, type DatasetInfo } from './run-record.ts';
import { findTrainingProblems, problemWarnings } from './training-health.ts';
import { controlTable, fractionLabel, headline, mainComparison, summarise, summaryTable, type Summary, type TextTable } from './summary.ts';

export interface Figure {
  id: FigureId;
  kind: 'svg' | 'png';
  /** Path relative to the report folder, where the markdown report links it. */
  file: string;
  alt: string;
  caption: string;
  svg?: string;
  png?: Buffer;
  width?: number;
  height?: number;
}

export type Tone = 'helps' | 'hurts' | 'ns' | 'none';

export type Block =
  | { kind: 'headline'; text: string; tone: Tone }
  | { kind: 'paragraph'; text: string }
  | { kind: 'figures'; figures: Figure[] }
  | { kind: 'table'; table: TextTable; tones?: Tone[] }
  | { kind: 'keyValues'; title: string; rows: [string, string][] }
  | { kind: 'links'; items: { text: string; url: string }[] };

export interface Section {
  id: string;
  title: string;
  blocks: Block[];
}

export interface ReportContent {
  title: string;
  subtitle: string;
  headline: string;
  /** Problems with the training that the numbers alone would hide, one sentence each (also printed in the terminal). */
  warnings: string[];
  summary: Summary;
  sections: Section[];
  figures: Figure[];
}

/** Tone of a comparison for colouring: significant gain, significant loss, or not significant. */
export function toneOf(c: { significant: boolean; delta: number; unusable?: string } | undefined): Tone {
  if (!c || !Number.isFinite(c.delta) || c.unusable) return 'none';
  if (!c.significant) return 'ns';
  return c.delta > 0 ? 'helps' : 'hurts';
}

/** " (pseudo-label instead trains for …)" for the arms whose budget is not the shared one. */
function budgetNotes(arms: readonly string[]): string {
  const notes = arms.map((arm) => armNamed(arm).budgetNote).filter((note): note is string => note !== undefined);
  return notes.length > 0 ? ` (${notes.join('; ')})` : '';
}

/** Every setting with its value and, where params.json records it, how it was chosen. */
function flatConfig(config: Record<string, unknown>, selection: Record<string, string> = {}): [string, string][] {
  const shown = (value: unknown) => (typeof value === 'string' ? value : JSON.stringify(value) ?? String(value));
  return Object.entries(config).flatMap(([k, v]): [string, string][] => {
    // The dataset source's own options, one row each, as the user gave them.
    if (k === 'datasetOptions' && typeof v === 'object' && v !== null) return Object.entries(v).map(([option, value]) => [option, `${shown(value)} (user)`]);
    // Per-arm settings get a table of their own (armSettingsTable).
    if (k === 'armSettings' && Array.isArray(v)) return v.length === 0 ? [] : [[k, `${v.length} entr${v.length === 1 ? 'y' : 'ies'}, below${selection[k] && selection[k] !== 'default' ? ` (${selection[k]})` : ''}`]];
    const value = shown(v);
    return [[k, selection[k] && selection[k] !== 'default' ? `${value} (${selection[k]})` : value]];
  });
}

/** The warning a report carries when its settings came from looking at test scores. */
function testSelectionCaveat(params: RunFiles['params']): string | undefined {
  if (params.preset?.chosenOn === 'validation' && params.preset.stillFromTest) {
    return `Caveat: the ${params.preset.name} preset's classifier settings were chosen on the validation split (npm run tune), but its ${params.preset.stillFromTest} were picked earlier by comparing test accuracies, before semisup had a validation split, so the test accuracies below may still be somewhat optimistic.`;
  }
  if (params.preset?.chosenOn !== 'test') return undefined;
  return `Caveat: the settings of the ${params.preset.name} preset were chosen by comparing test accuracies (before semisup had a validation split), so the test accuracies below are optimistic, and the more so the more settings were tried. For numbers you can trust, choose settings on the validation split: npm run tune.`;
}

/** ", except the settings some arms have of their own (…)" when the run has per-arm settings: the shared budget is then not the whole story. */
function ownSettingsNote(config: Record<string, unknown>): string {
  const entries = recordedArmSettings(config);
  if (entries.length === 0) return '';
  const arms = [...new Set(entries.map((e) => e.arm))];
  return `, except the settings ${arms.length === 1 ? `${arms[0]} has` : `${arms.join(', ')} have`} of ${arms.length === 1 ? 'its' : 'their'} own (listed under Configuration)`;
}

/** A run's per-arm settings (config.armSettings), one row per arm and budget; undefined when every arm shares the run's settings. */
function armSettingsTable(config: Record<string, unknown>): TextTable | undefined {
  const entries = recordedArmSettings(config);
  if (entries.length === 0) return undefined;
  const rows = entries.map((e) => [e.arm, e.budget ?? 'every budget', Object.entries(e.settings).map(([k, v]) => `${k} ${String(v)}`).join(', ')]);
  return { header: ['arm', 'labels', 'its own settings (over the configuration above)'], rows, align: ['left', 'left', 'left'] };
}

/** The settings tuning kept for each arm and label budget, as a table. */
function tuningTable(tuning: NonNullable<RunFiles['params']['tuning']>): TextTable {
  const rows = tuning.chosen.map((c) => [
    c.arm, count(c.labeled), c.follows ? `as ${c.follows}` : String(c.trial),
    Object.entries(c.settings).map(([k, v]) => `${k} ${v}`).join(', '), c.follows ? '–' : pct(c.valAccuracy * 100),
  ]);
  return { header: ['arm', 'labels', 'trial', 'settings kept', 'validation accuracy'], rows, align: ['left', 'right', 'right', 'left', 'right'] };
}

async function svgFigure(id: FigureId, spec: Parameters<typeof renderSvg>[0] | undefined, alt: string, caption: string, charts?: ArtifactStore): Promise<Figure | undefined> {
  if (!spec) return undefined;
  return { id, kind: 'svg', file: `figures/${id}.svg`, alt, caption, svg: await renderSvg(spec, { name: id, cache: charts }) };
}

/** How many training examples (labeled and unlabeled) and test examples a run had. */
export function datasetCountsText(dataset: DatasetInfo, unit: string): string {
  const unlabeled = dataset.unlabeledSize ?? 0;
  const labeled = dataset.labeledSize ?? dataset.poolSize - unlabeled;
  const pool = unlabeled === 0
    ? `${count(dataset.poolSize)} training ${unit}, all labeled (pretraining uses them as the unlabeled pool)`
    : `${count(dataset.poolSize)} training ${unit} in the pool: ${count(labeled)} labeled and ${count(unlabeled)} without a label`;
  return `${pool}, and ${count(dataset.testSize)} held-out labeled test ${unit}`;
}

/** Build the whole report model from a run's files: numbers, rendered charts, pictures and the words around them. */
export async function buildReportContent(run: RunFiles, options: { charts?: ArtifactStore } = {}): Promise<ReportContent> {
  const figure = (id: FigureId, spec: Parameters<typeof renderSvg>[0] | undefined, alt: string, caption: string) => svgFigure(id, spec, alt, caption, options.charts);
  const { rows, params, curves, confusions, pictures } = run;
  const problems = findTrainingProblems(run);
  const summary = summarise(rows, problems);
  const warnings = problemWarnings(problems, (fraction) => summary.fractions.find((f) => f.fraction === fraction)?.labeled ?? NaN);
  const table = summaryTable(summary);
  const head = headline(summary);
  const first = summary.fractions[0];
  const main = first ? mainComparison(first) : undefined;
  const isImage = params.dataset.inputShape.length === 3;
  const about = describeDataset(params.config);
  const classNames = params.dataset.classNames;
  const fractionsText = summary.fractions.map((f) => `${count(f.labeled)} (${fractionText(f.fraction)})`).join(', ');
  const created = params.createdAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ' UTC');

  const sections: Section[] = [];
  const figures: Figure[] = [];
  const keep = (...fs: (Figure | undefined)[]) => {
    const present = fs.filter((f): f is Figure => f !== undefined);
    figures.push(...present);
    return present;
  };

  // 1. Headline
  sections.push({
    id: 'headline',
    title: 'Headline',
    blocks: [
      { kind: 'headline', text: head, tone: toneOf(main) },
      ...(warnings.length > 0
        ? [{ kind: 'paragraph' as const, text: `Warning: training went wrong, so some numbers below are not results. ${warnings.map(capitalise).join(' ')}` }]
        : []),
      ...(testSelectionCaveat(params) ? [{ kind: 'paragraph' as const, text: testSelectionCaveat(params)! }] : []),
      {
        kind: 'paragraph',
        text: `Dataset ${params.dataset.name}${about ? ` (${about})` : ''}: ${datasetCountsText(params.dataset, isImage ? 'images' : 'rows')}, ` +
          `${classNames.length} classes. Labeled examples per run: ${fractionsText}. Seeds: ${summary.seeds.join(', ')}. ` +
          (summary.arms.length <= 1
            ? `Arms: baseline (random initialisation) and ${summary.arms.join(', ') || 'no other arm'}; both arms of a seed share the split, the labeled examples, the architecture and the training budget${budgetNotes(summary.arms)}${ownSettingsNote(params.config)}.`
            : `Arms: ${[REFERENCE_ARM.name, ...summary.arms].map((arm) => `${arm} (${armDescription(arm)})`).join('; ')}. ` +
              `All arms of a seed share the split, the labeled examples, the head, the batch order, the optimiser and the epoch budget${budgetNotes(summary.arms)}${ownSettingsNote(params.config)}; each is compared with the same baseline.`),
      },
      ...(summary.arms.some(isBeyondSeed)
        ? [{ kind: 'paragraph' as const, text: `Beyond the seed: ${summary.arms.filter(isBeyondSeed).join(' and ')} ${summary.arms.filter(isBeyondSeed).length === 1 ? 'is' : 'are'} not autoencoder pretraining but other ways to use the same unlabeled pool, run as reference points; the headline is about pretraining.` }]
        : []),
    ],
  });

  // 2. Learning curve and Δ
  const curveFigs = keep(
    await figure('learning-curve', learningCurveSpec(rows), 'Learning curve: test accuracy against number of labels, per arm',
      'Test accuracy against the number of labeled examples (log scale). Each dot is one seed; the line is the mean and the band mean ± std.'),
    await figure('delta', summary.arms.length > 0 && summary.fractions.some((f) => f.hasBaseline) ? deltaSpec(summary) : undefined,
      'Paired accuracy difference from the baseline per number of labels, with 95 % confidence intervals',
      'Accuracy of each arm minus the baseline of the same seed, in percentage points, with the 95 % confidence interval of the mean difference. An interval that crosses the dashed zero line means the difference is not significant.'),
  );
  sections.push({ id: 'learning-curve', title: 'Learning curve', blocks: [{ kind: 'figures', figures: curveFigs }] });

  // 3. Summary table
  const tones = summary.fractions.flatMap((f) => (f.comparisons.length ? f.comparisons.map((c) => toneOf(c)) : ['none' as Tone]));
  const tested = summary.fractions.flatMap((f) => [...f.comparisons, ...f.controlComparisons]).filter((c) => c.n >= 2 && !c.unusable);
  const nsCount = tested.filter((c) => !c.significant).length;
  const controls = controlTable(summary);
  sections.push({
    id: 'summary',
    title: 'Results per labeled fraction',
    blocks: [
      { kind: 'table', table, tones },
      ...(controls ? [
        { kind: 'paragraph' as const, text: 'Against step-matched controls: an arm with a training budget of its own is also compared with a control that trains the baseline\'s network for the same steps, on the same labeled batches with the same augmentation, without any unlabeled data, so that its Δ here is what the unlabeled images bring and not what the extra steps bring.' },
        { kind: 'table' as const, table: controls, tones: summary.fractions.flatMap((f) => f.controlComparisons.map((c) => toneOf(c))) },
      ] : []),
      {
        kind: 'paragraph',
        text: 'Accuracies are test-set means ± standard deviation over seeds, in %. Δ is the arm minus the baseline of the same seed (same split, same labeled examples), in percentage points, ' +
          'with the 95 % confidence interval of its mean (Student t); p is the two-sided paired t-test. ' +
          (summary.tests > 1 ? `p (Holm) is p corrected by Holm's method for the ${summary.tests} comparisons in this run, so that the chance of calling any of them significant by luck stays at 5 %; the verdicts use it. ` : '') +
          (tested.length === 0
            ? 'With a single seed there is no significance test: run with --seeds 3 or more to tell a real difference from seed-to-seed noise.'
            : (nsCount > 0
              ? `${nsCount === 1 ? 'One difference is' : `${nsCount} differences are`} not significant at 5 %: the data do not show that the arms differ there, which is not the same as showing that they are equal.`
              : 'Every difference is significant at 5 %.') +
              (summary.seeds.length < 5 ? ` With only ${summary.seeds.length} seeds, only large or very consistent differences can reach significance.` : '')),
      },
    ],
  });

  // 4. Training curves
  const trainingFigs = keep(
    await figure('pretrain-loss', pretrainLossSpec(curves), 'Autoencoder reconstruction loss per epoch, one line per seed',
      'Reconstruction loss of the autoencoder on the unlabeled pool while pretraining. It should fall and flatten; a line that rises or jumps points to a learning rate that is too high.'),
    first ? await figure('training-curves', trainingCurvesSpec(curves, first.fraction, first.labeled), `Classifier loss and accuracy per epoch at ${fractionLabel(first)}`,
      `Classifier training at the smallest labeled fraction, ${fractionLabel(first)}: loss and accuracy per epoch for each arm and seed. Compare how fast each arm learns. These are training numbers: reaching 100 % accuracy early means an arm fits its few labels completely, which says nothing yet about the test set.`) : undefined,
    summary.fractions.length > 1 ? await figure('training-curves-all', trainingCurvesAllSpec(curves), 'Accuracy per epoch at every labeled fraction',
      'The same comparison at every labeled fraction. If pretraining helps mostly when labels are scarce, the arms move closer together as the fraction grows.') : undefined,
  );
  if (trainingFigs.length > 0) sections.push({ id: 'training', title: 'Training curves', blocks: [{ kind: 'figures', figures: trainingFigs }] });

  // 5–6. Reconstructions and latent map (image datasets only)
  if (isImage && pictures) {
    const layout = gridLayout(pictures);
    const recon = keep({
      id: 'reconstructions', kind: 'png', file: 'figures/reconstructions.png',
      alt: 'Test images (top rows) and their autoencoder reconstructions (bottom rows)',
      caption: `Top ${layout.rows === 1 ? 'row' : `${layout.rows} rows`}: ${pictures.reconstruction.count} test images. Bottom ${layout.rows === 1 ? 'row' : `${layout.rows} rows`}: the autoencoder's reconstructions of the same images, in the same order (seed ${pictures.seed}). ` +
        'Blurry but recognisable reconstructions mean the code keeps the shape of the digit and drops detail.',
      png: await drawnPng(options.charts, { picture: 'reconstructions', version: GRID_VERSION, pictures }, () => reconstructionGridPng(pictures)), width: layout.width, height: layout.height,
    });
    sections.push({ id: 'reconstructions', title: 'Reconstructions', blocks: [{ kind: 'figures', figures: recon }] });
    const latent = keep(await figure('latent-map', latentMapSpec(pictures, classNames), 'PCA scatter of encoder latents and of raw pixels, coloured by class',
      `First two principal components of test samples (seed ${pictures.seed}): left of the encoder's latent vectors, right of the raw pixels. ` +
        'Tighter, better separated colour clusters on the left mean the unlabeled pretraining learned features that line up with the classes. Only two components are shown, so overlap here does not prove the classes overlap in the full latent space.'));
    sections.push({ id: 'latent-map', title: 'Latent map', blocks: [{ kind: 'figures', figures: latent }] });
  } else if (!isImage) {
    sections.push({ id: 'pictures', title: 'Reconstructions and latent map', blocks: [{ kind: 'paragraph', text: `Not shown: ${params.dataset.name} is a table dataset (input shape [${params.dataset.inputShape.join(', ')}]), so there are no images to draw.` }] });
  }

  // 7. Confusion matrices and per-class accuracy at the smallest fraction
  if (first) {
    const arms: ArmName[] = [REFERENCE_ARM.name as ArmName, ...(main ? [main.arm] : [])];
    const matrices = arms
      .map((arm) => ({ arm, matrix: sumConfusions(confusions, first.fraction, arm) }))
      .filter((m): m is ArmMatrix => m.matrix !== undefined);
    if (matrices.length > 0) {
      const seeds = new Set(confusions.filter((c) => c.fraction === first.fraction).map((c) => c.seed)).size;
      const confFigs = keep(
        await figure('confusion', confusionSpec(matrices, classNames, `Confusion matrices at ${fractionLabel(first)}`),
          `Confusion matrices of ${matrices.map((m) => m.arm).join(' and ')} at ${fractionLabel(first)}`,
          `Rows are true classes, columns predicted classes; counts are summed over ${seeds} seed${seeds === 1 ? '' : 's'}. Off-diagonal cells show which classes each arm confuses.`),
        await figure('per-class', perClassAccuracySpec(matrices, classNames, `Per-class accuracy at ${fractionLabel(first)}`),
          `Per-class accuracy of ${matrices.map((m) => m.arm).join(' and ')} at ${fractionLabel(first)}`,
          'Share of each true class that was classified correctly, from the summed confusion matrices.'),
      );
      sections.push({ id: 'confusion', title: 'Confusion matrices and per-class accuracy', blocks: [{ kind: 'figures', figures: confFigs }] });
    }
  }

  // 8. Published numbers (full MNIST only, and only when the run follows the published protocol)
  const mismatch = isFullMnist(params.dataset) ? publishedProtocolMismatch(summary, params.config) : undefined;
  const published = mismatch ? undefined : publishedComparison(summary, params.dataset);
  if (mismatch) sections.push({ id: 'published', title: 'Published results on full MNIST', blocks: [{ kind: 'paragraph', text: mismatch }] });
  if (published) {
    const header = ['method', ...published.labelCounts.map((n) => `${count(n)} labels`), 'note'];
    const ours = published.ours.map((o) => [`this run: ${o.arm}${isBeyondSeed(o.arm) ? ' (beyond the seed)' : ''}`, ...published.labelCounts.map((n) => fixed(o.errors[n], 2)), 'mean over seeds']);
    const theirs = published.methods.map((m) => [m.name, ...published.labelCounts.map((n) => fixed(m.errors[n] ?? NaN, 2)), `${m.note}${m.note ? '; ' : ''}[${m.citation}]`]);
    sections.push({
      id: 'published',
      title: 'Published results on full MNIST',
      blocks: [
        { kind: 'paragraph', text: 'Test error in % (lower is better) at the label counts this run shares with the literature. Architectures and training budgets differ, so read this as a sanity check, not a ranking. NN is the closest published relative of the baseline and CAE of the pretrained arm.' },
        { kind: 'table', table: { header, rows: [...ours, ...theirs], align: header.map((_, i) => (i === 0 || i === header.length - 1 ? 'left' : 'right')) } },
        { kind: 'links', items: published.citations.map((c) => ({ text: `[${c.key}] ${c.text}`, url: c.url })) },
      ],
    });
  }

  // 9. The exported classifier
  const exported = params.exportedModel;
  if (exported) {
    sections.push({
      id: 'exported-model',
      title: 'Exported model',
      blocks: [{
        kind: 'paragraph',
        text: `The folder ${exported.folder}/ beside this report holds the ${exported.arm} classifier of seed ${exported.seed}, trained on ${count(exported.labeled)} labeled examples (${fractionText(exported.fraction)}): ` +
          `a tfjs LayersModel (model.json, weights.bin) with labels.json and preprocessing.json. Its accuracy on the ${count(params.dataset.testSize)} held-out test ${isImage ? 'images' : 'rows'} is ${pct(100 * exported.testAccuracy)}. ` +
          `Classify new ${isImage ? 'images' : 'rows'} with npm run predict -- --model <this folder>/${exported.folder} FILES…; rerun this run with npm run pipeline -- --config <this folder>/params.json.`,
      }],
    });
  }

  // 10. Configuration, environment, timings
  const env = params.environment;
  // Stage seconds are summed over a stage's jobs, which may have run side by side: shares are of the summed work, not of the wall time.
  const workSeconds = Object.values(params.stageSeconds).reduce((a, b) => a + b, 0);
  const stageRows = Object.entries(params.stageSeconds).map(([stage, s]) => [stage, fixed(s, 1), workSeconds > 0 ? pct((100 * s) / workSeconds, 0) : '–']);
  const ownSettings = armSettingsTable(params.config);
  sections.push({
    id: 'configuration',
    title: 'Configuration, environment and timings',
    blocks: [
      { kind: 'paragraph', text: `Run ${params.runId}, started ${created}. Everything needed to rerun it is in params.json beside this report; the numbers come from results.csv.` },
      { kind: 'keyValues', title: 'configuration', rows: flatConfig(params.config, params.selection) },
      // After tuning, its own table (below) says the same with the trials and validation accuracies.
      ...(!params.tuning && ownSettings ? [
        { kind: 'paragraph' as const, text: 'These arms train with settings of their own over the configuration above (a step-matched control takes those of the arm it controls):' },
        { kind: 'table' as const, table: ownSettings },
      ] : []),
      ...(params.tuning ? [
        { kind: 'paragraph' as const, text: `Settings chosen on the validation split by npm run tune: ${params.tuning.trials} trials per arm, the baseline's included (trial 1 is the settings above), each scored by its mean validation accuracy over the seeds; the test set was not read while tuning. A step-matched control uses the settings of the arm it controls. Every trial is in tuning.csv.` },
        { kind: 'table' as const, table: tuningTable(params.tuning) },
      ] : []),
      {
        kind: 'keyValues',
        title: 'environment',
        rows: [
          ['backend', env.backend], ...(env.matrixProducts ? [['matrix products', env.matrixProducts] as [string, string]] : []), ['node', env.node], ['platform', env.platform], ['cpu', env.cpuModel], ['cores', String(env.cores)],
          ...(env.gitCommit ? [['git commit', env.gitCommit] as [string, string]] : []),
          ...Object.entries(env.versions).map(([k, v]) => [k, v] as [string, string]),
        ],
      },
      { kind: 'table', table: { header: ['stage', 'job seconds', 'share of work'], rows: [...stageRows, ['all stages', fixed(workSeconds, 1), ''], ['wall time of the run', fixed(params.totalSeconds, 1), '']], align: ['left', 'right', 'right'] } },
      { kind: 'paragraph', text: 'Job seconds add up the time of every job of a stage in this run (cached jobs count 0); with several worker processes jobs run side by side, so they can exceed the wall time.' },
    ],
  });

  return {
    title: `semisup report: ${params.dataset.name}`,
    subtitle: `${created} · ${summary.seeds.length} seed${summary.seeds.length === 1 ? '' : 's'} · ${summary.fractions.length} labeled fraction${summary.fractions.length === 1 ? '' : 's'} · backend ${env.backend}`,
    headline: head,
    warnings,
    summary,
    sections,
    figures,
  };
}

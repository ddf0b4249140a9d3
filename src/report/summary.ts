/**
 * The report's numbers: per labeled fraction, each arm against the baseline
 * trained on the same seeds (and against its step-matched control, where it
 * has one), as mean ± std, a paired Δ with its 95 % CI, its p-value and the
 * p-value after Holm's correction over the whole run, and a plain-words
 * verdict from the corrected one. Computed from result rows alone.
 * Accuracies here are in percent and differences in percentage points.
 */
import { writeFileAtomic } from '../artifacts/atomic.ts';
import { ARM_DEFINITIONS, inArmOrder, REFERENCE_ARM, type ArmName } from '../arms/index.ts';
import type { ResultRow } from '../eval/results.ts';
import { holmAdjust, mean, pairedComparison, std } from '../eval/stats.ts';
import { csvText } from './csv-text.ts';
import { problemOf, type TrainingProblem } from './training-health.ts';
import { armSubject, capitalise, ciText, count, fractionText, meanStd, pClause, pct, pValueText, signed } from './format.ts';

/** Significance level the verdicts use, after Holm's correction over every comparison of a run. */
export const ALPHA = 0.05;

export interface ArmComparison {
  arm: ArmName;
  /** What it is compared with: the baseline, or the arm's step-matched control. */
  reference: ArmName;
  /** Seeds with both this arm and the reference at this fraction (the pairs). */
  n: number;
  armMean: number;
  armStd: number;
  referenceMean: number;
  referenceStd: number;
  /** Mean of (arm − reference) over paired seeds, in points; NaN without a reference. */
  delta: number;
  ciLow: number;
  ciHigh: number;
  /** The paired t-test's p-value, and the same after Holm's correction for every comparison in the run. */
  pValue: number;
  pHolm: number;
  /** pHolm < ALPHA (and a nonzero Δ). */
  significant: boolean;
  verdict: string;
  /** Why this comparison means nothing (an arm that did not learn, training-health.ts); absent when it is sound. */
  unusable?: string;
}

export interface FractionSummary {
  fraction: number;
  /** Mean labeled count over seeds (equal for every seed by construction). */
  labeled: number;
  /** Seeds that ran at this fraction (any arm). */
  seeds: number;
  hasBaseline: boolean;
  baselineMean: number;
  baselineStd: number;
  /** Each non-baseline arm against the baseline, in the order of Summary.arms. */
  comparisons: ArmComparison[];
  /** Arms against their step-matched controls (the same budget without the unlabeled data), where both ran. */
  controlComparisons: ArmComparison[];
}

export interface Summary {
  dataset: string;
  /** Non-baseline arms present in the rows, pretrained first. */
  arms: ArmName[];
  seeds: number[];
  /** Sorted by fraction, smallest first. */
  fractions: FractionSummary[];
  /** How many comparisons Holm's correction covered (those with a p-value). */
  tests: number;
}

/** The verdict for one comparison, in the words the report uses everywhere. */
export function verdictFor(c: Pick<ArmComparison, 'arm' | 'reference' | 'n' | 'delta' | 'pHolm'>): string {
  if (c.n === 0) return c.reference === REFERENCE_ARM.name ? 'no baseline to compare with' : `no ${c.reference} run to compare with`;
  if (c.n < 2) return 'only one seed: no significance test';
  if (c.pHolm < ALPHA && c.delta !== 0) {
    const over = c.reference === REFERENCE_ARM.name ? '' : ` over ${c.reference}`;
    return `${armSubject(c.arm)} ${c.delta > 0 ? 'helps' : 'hurts'}${over}: ${signed(c.delta)} points, significant at 5 % (Holm)`;
  }
  return 'no significant difference';
}

/** Comparisons of an arm: against the baseline, or against the control whose declaration names it. */
function controlsOf(arm: ArmName, present: ReadonlySet<string>): ArmName[] {
  return ARM_DEFINITIONS.filter((a) => a.controlFor === arm && present.has(a.name)).map((a) => a.name as ArmName);
}

/**
 * Summarise result rows per fraction and arm against the baseline (and step-matched controls), pairing by
 * seed; Holm-correct every p-value of the run. A comparison in which either side has a training problem
 * (training-health.ts) is marked unusable: no verdict of help or harm is drawn from an arm that did not
 * learn, and it is not counted among the run's tests.
 */
export function summarise(rows: readonly ResultRow[], problems: readonly TrainingProblem[] = []): Summary {
  const present = new Set<string>(rows.map((r) => r.arm));
  const arms = inArmOrder(present).filter((a) => a !== REFERENCE_ARM.name) as ArmName[];
  const fractions = [...new Set(rows.map((r) => r.fraction))].sort((a, b) => a - b);
  const summaries = fractions.map((fraction) => {
    const at = rows.filter((r) => r.fraction === fraction);
    const bySeed = (arm: ArmName) => new Map(at.filter((r) => r.arm === arm).map((r) => [r.seed, r.accuracy * 100]));
    const compare = (arm: ArmName, reference: ArmName) => {
      const mine = bySeed(arm);
      const theirs = bySeed(reference);
      const paired = [...mine.keys()].filter((s) => theirs.has(s)).sort((a, b) => a - b);
      const cmp = pairedComparison(paired.map((s) => mine.get(s)!), paired.map((s) => theirs.get(s)!));
      const failed = [reference, arm].filter((who) => paired.some((seed) => problemOf(problems, seed, fraction, who)));
      return {
        arm, reference, n: paired.length,
        armMean: mean([...mine.values()]), armStd: std([...mine.values()]),
        referenceMean: mean([...theirs.values()]), referenceStd: std([...theirs.values()]),
        delta: paired.length > 0 ? cmp.meanDiff : NaN, ciLow: cmp.ciLow, ciHigh: cmp.ciHigh, pValue: cmp.pValue,
        pHolm: NaN, significant: false as boolean, verdict: '',
        ...(failed.length > 0 ? { unusable: `${failed.map((who) => `the ${who} arm`).join(' and ')} did not learn` } : {}),
      } satisfies ArmComparison;
    };
    const base = bySeed(REFERENCE_ARM.name as ArmName);
    const baseValues = [...base.values()];
    const here = arms.filter((arm) => at.some((r) => r.arm === arm));
    return {
      fraction,
      labeled: mean(at.map((r) => r.labeled)),
      seeds: new Set(at.map((r) => r.seed)).size,
      hasBaseline: base.size > 0,
      baselineMean: mean(baseValues),
      baselineStd: std(baseValues),
      comparisons: here.map((arm) => compare(arm, REFERENCE_ARM.name as ArmName)),
      controlComparisons: here.flatMap((arm) => controlsOf(arm, new Set(at.map((r) => r.arm))).map((control) => compare(arm, control))),
    } satisfies FractionSummary;
  });
  // Holm–Bonferroni over every comparison of the run: the chance of any false "significant" stays at 5 %.
  const all = summaries.flatMap((f) => [...f.comparisons, ...f.controlComparisons]);
  const adjusted = holmAdjust(all.map((c) => (c.n >= 2 && !c.unusable ? c.pValue : NaN)));
  all.forEach((c, i) => {
    c.pHolm = adjusted[i];
    c.significant = c.n >= 2 && !c.unusable && c.pHolm < ALPHA && c.delta !== 0;
    c.verdict = c.unusable ? `not comparable: ${c.unusable} (see the warnings)` : verdictFor(c);
  });
  return {
    dataset: [...new Set(rows.map((r) => r.dataset))].join(', '),
    arms,
    seeds: [...new Set(rows.map((r) => r.seed))].sort((a, b) => a - b),
    fractions: summaries,
    tests: adjusted.filter(Number.isFinite).length,
  };
}

/** The comparison the headline talks about: the first arm in the arms' fixed order (pretrained when present). */
export function mainComparison(f: FractionSummary): ArmComparison | undefined {
  // Chosen by a fixed order, never by the results: picking the best-looking arm would make its p-value mean less.
  return f.comparisons[0];
}

/** The ten-second sentence: what the main arm did at the fewest labels, with CI, p and whether it is significant. */
export function headline(summary: Summary): string {
  const f = summary.fractions[0];
  if (!f) return 'No results: the run has no result rows.';
  const labels = `With ${count(f.labeled)} labels`;
  const c = mainComparison(f);
  if (!c) return `${labels}, the baseline reached ${pct(f.baselineMean)} accuracy (no other arm to compare with).`;
  const subject = armSubject(c.arm);
  if (!f.hasBaseline || c.n === 0) return `${labels}, ${subject} reached ${pct(c.armMean)} accuracy (no baseline to compare with).`;
  if (c.unusable) return `${labels}, there is no comparison to report: ${c.unusable} (test accuracy ${pct(f.baselineMean)} for the baseline, ${pct(c.armMean)} for ${c.arm}); see the warnings.`;
  const verb = c.delta > 0 ? 'raised' : c.delta < 0 ? 'lowered' : 'left';
  const change = c.delta === 0
    ? `${subject} left accuracy at ${pct(f.baselineMean)}`
    : `${subject} ${verb} accuracy from ${pct(f.baselineMean)} to ${pct(c.armMean)}`;
  if (c.n < 2) return `${labels}, ${change} (${signed(c.delta)} points, 1 seed): only one seed, so no significance test.`;
  const corrected = summary.tests > 1 ? ` after Holm's correction for ${summary.tests} comparisons` : '';
  const stats = `${signed(c.delta)} points, 95 % CI ${ciText(c.ciLow, c.ciHigh)}, ${pClause(c.pHolm)}${corrected}, ${c.n} seeds`;
  const tail = c.significant ? 'significant at 5 %' : 'not significant';
  return `${labels}, ${change} (${stats}): ${tail}.`;
}

/** A table of strings (header + rows) shared by the terminal, markdown and HTML renderings. */
export interface TextTable {
  header: string[];
  rows: string[][];
  /** Per column: right-align numbers. */
  align: ('left' | 'right')[];
}

/** The summary as display strings: one row per fraction × arm against the baseline (one per fraction when there is a single arm). */
export function summaryTable(summary: Summary): TextTable {
  const single = summary.arms.length <= 1;
  const armTitle = single && summary.arms[0] ? `${summary.arms[0]} %` : 'arm %';
  const header = ['labels', 'fraction', 'baseline %', ...(single ? [] : ['arm']), armTitle, 'Δ points (95 % CI)', 'p', 'p (Holm)', 'seeds', 'verdict'];
  const align: TextTable['align'] = ['right', 'right', 'right', ...(single ? [] : ['left' as const]), 'right', 'right', 'right', 'right', 'right', 'left'];
  const rows: string[][] = [];
  for (const f of summary.fractions) {
    const base = f.hasBaseline ? meanStd(f.baselineMean, f.baselineStd) : '–';
    if (f.comparisons.length === 0) {
      rows.push([count(f.labeled), fractionText(f.fraction), base, ...(single ? [] : ['–']), '–', '–', '–', '–', String(f.seeds), 'baseline only']);
    }
    for (const c of f.comparisons) {
      rows.push([count(f.labeled), fractionText(f.fraction), base, ...(single ? [] : [c.arm]), meanStd(c.armMean, c.armStd), ...comparisonCells(c, f)]);
    }
  }
  return { header, rows, align };
}

/** Δ, p, p (Holm), seeds and verdict of one comparison, as table cells. */
function comparisonCells(c: ArmComparison, f: FractionSummary): string[] {
  const delta = Number.isFinite(c.delta) ? `${signed(c.delta)} (${ciText(c.ciLow, c.ciHigh)})` : '–';
  return [delta, pValueText(c.pValue), pValueText(c.pHolm), String(c.n || f.seeds), c.verdict];
}

/** The arms against their step-matched controls, one row per fraction × pair; undefined when the run has none. */
export function controlTable(summary: Summary): TextTable | undefined {
  const rows = summary.fractions.flatMap((f) => f.controlComparisons.map((c) => [
    count(f.labeled), fractionText(f.fraction), c.arm, meanStd(c.armMean, c.armStd), c.reference, meanStd(c.referenceMean, c.referenceStd), ...comparisonCells(c, f),
  ]));
  if (rows.length === 0) return undefined;
  const header = ['labels', 'fraction', 'arm', 'arm %', 'control', 'control %', 'Δ points (95 % CI)', 'p', 'p (Holm)', 'seeds', 'verdict'];
  return { header, rows, align: ['right', 'right', 'left', 'right', 'left', 'right', 'right', 'right', 'right', 'right', 'left'] };
}

/** A table as aligned plain text for the terminal. */
function plainTable(t: TextTable): string {
  const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (t.align[i] === 'right' ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(t.header), widths.map((w) => '─'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}

/** The summary as aligned plain text for the terminal (the last thing a run prints before the report path), controls below. */
export function terminalTable(summary: Summary): string {
  const controls = controlTable(summary);
  return [plainTable(summaryTable(summary)), ...(controls ? ['', 'Against step-matched controls (same steps, batches and augmentation, no unlabeled data):', plainTable(controls)] : [])].join('\n');
}

/** Columns of summary.csv (accuracies in %, Δ in points). */
export const SUMMARY_COLUMNS = [
  'dataset', 'fraction', 'labeled', 'arm', 'reference', 'seeds', 'baseline_mean', 'baseline_std', 'arm_mean', 'arm_std',
  'reference_mean', 'reference_std', 'delta', 'ci_low', 'ci_high', 'p_value', 'p_holm', 'significant', 'verdict',
] as const;

const round = (x: number, d = 4): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : NaN);

/** Write summary.csv atomically (one line per fraction × comparison), for spreadsheets and other tools. */
export async function writeSummaryCsv(file: string, summary: Summary): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const f of summary.fractions) {
    for (const c of [...f.comparisons, ...f.controlComparisons]) {
      rows.push([
        summary.dataset, f.fraction, round(f.labeled, 1), c.arm, c.reference, c.n, round(f.baselineMean), round(f.baselineStd),
        round(c.armMean), round(c.armStd), round(c.referenceMean), round(c.referenceStd), round(c.delta), round(c.ciLow), round(c.ciHigh),
        round(c.pValue, 6), round(c.pHolm, 6), c.significant ? 'yes' : 'no', c.verdict,
      ]);
    }
  }
  await writeFileAtomic(file, csvText(SUMMARY_COLUMNS, rows));
}

/** A one-line label for a fraction ("80 labels (1 %)"), for chart titles and section headings. */
export function fractionLabel(f: Pick<FractionSummary, 'labeled' | 'fraction'>): string {
  return `${count(f.labeled)} labels (${fractionText(f.fraction)})`;
}


/**
 * The report's numbers: per labeled fraction, each arm against the baseline
 * trained on the same seeds, as mean ± std, a paired Δ with its 95 % CI and
 * p-value, and a plain-words verdict. Computed from result rows alone.
 * Accuracies here are in percent and differences in percentage points.
 */
import { writeFileAtomic } from '../artifacts/atomic.ts';
import { inArmOrder, REFERENCE_ARM, type ArmName } from '../arms/index.ts';
import type { ResultRow } from '../eval/results.ts';
import { mean, pairedComparison, std } from '../eval/stats.ts';
import { csvText } from './csv-text.ts';
import { armSubject, capitalise, ciText, count, fractionText, meanStd, pClause, pct, pValueText, signed } from './format.ts';

/** Significance level the verdicts use. */
export const ALPHA = 0.05;

export interface ArmComparison {
  arm: ArmName;
  /** Seeds with both this arm and the baseline at this fraction (the pairs). */
  n: number;
  armMean: number;
  armStd: number;
  /** Mean of (arm − baseline) over paired seeds, in points; NaN without a baseline. */
  delta: number;
  ciLow: number;
  ciHigh: number;
  pValue: number;
  significant: boolean;
  verdict: string;
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
  /** Non-baseline arms, in the order of Summary.arms. */
  comparisons: ArmComparison[];
}

export interface Summary {
  dataset: string;
  /** Non-baseline arms present in the rows, pretrained first. */
  arms: ArmName[];
  seeds: number[];
  /** Sorted by fraction, smallest first. */
  fractions: FractionSummary[];
}

/** The verdict for one comparison, in the words the report uses everywhere. */
export function verdictFor(arm: ArmName, c: Pick<ArmComparison, 'n' | 'delta' | 'pValue'>, hasBaseline = true): string {
  if (!hasBaseline) return 'no baseline to compare with';
  if (c.n < 2) return 'only one seed: no significance test';
  if (c.pValue < ALPHA && c.delta !== 0) {
    return `${armSubject(arm)} ${c.delta > 0 ? 'helps' : 'hurts'}: ${signed(c.delta)} points, significant at 5 %`;
  }
  return 'no significant difference';
}

/** Summarise result rows per fraction and arm against the baseline, pairing by seed, so the report never recomputes. */
export function summarise(rows: readonly ResultRow[]): Summary {
  const present = new Set(rows.map((r) => r.arm));
  const arms = inArmOrder(present).filter((a) => a !== REFERENCE_ARM.name);
  const fractions = [...new Set(rows.map((r) => r.fraction))].sort((a, b) => a - b);
  const summaries = fractions.map((fraction): FractionSummary => {
    const at = rows.filter((r) => r.fraction === fraction);
    const bySeed = (arm: ArmName) => new Map(at.filter((r) => r.arm === arm).map((r) => [r.seed, r.accuracy * 100]));
    const base = bySeed(REFERENCE_ARM.name as ArmName);
    const baseValues = [...base.values()];
    const comparisons = arms.filter((arm) => at.some((r) => r.arm === arm)).map((arm): ArmComparison => {
      const mine = bySeed(arm);
      const paired = [...mine.keys()].filter((s) => base.has(s)).sort((a, b) => a - b);
      const cmp = pairedComparison(paired.map((s) => mine.get(s)!), paired.map((s) => base.get(s)!));
      const hasBaseline = paired.length > 0;
      const c = {
        arm,
        n: paired.length,
        armMean: mean([...mine.values()]),
        armStd: std([...mine.values()]),
        delta: hasBaseline ? cmp.meanDiff : NaN,
        ciLow: cmp.ciLow,
        ciHigh: cmp.ciHigh,
        pValue: cmp.pValue,
      };
      return { ...c, significant: c.n >= 2 && c.pValue < ALPHA && c.delta !== 0, verdict: verdictFor(arm, c, hasBaseline) };
    });
    return {
      fraction,
      labeled: mean(at.map((r) => r.labeled)),
      seeds: new Set(at.map((r) => r.seed)).size,
      hasBaseline: base.size > 0,
      baselineMean: mean(baseValues),
      baselineStd: std(baseValues),
      comparisons,
    };
  });
  return {
    dataset: [...new Set(rows.map((r) => r.dataset))].join(', '),
    arms,
    seeds: [...new Set(rows.map((r) => r.seed))].sort((a, b) => a - b),
    fractions: summaries,
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
  const verb = c.delta > 0 ? 'raised' : c.delta < 0 ? 'lowered' : 'left';
  const change = c.delta === 0
    ? `${subject} left accuracy at ${pct(f.baselineMean)}`
    : `${subject} ${verb} accuracy from ${pct(f.baselineMean)} to ${pct(c.armMean)}`;
  if (c.n < 2) return `${labels}, ${change} (${signed(c.delta)} points, 1 seed): only one seed, so no significance test.`;
  const stats = `${signed(c.delta)} points, 95 % CI ${ciText(c.ciLow, c.ciHigh)}, ${pClause(c.pValue)}, ${c.n} seeds`;
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

/** The summary as display strings: one row per fraction × arm (one per fraction when there is a single arm). */
export function summaryTable(summary: Summary): TextTable {
  const single = summary.arms.length <= 1;
  const armTitle = single && summary.arms[0] ? `${summary.arms[0]} %` : 'arm %';
  const header = ['labels', 'fraction', 'baseline %', ...(single ? [] : ['arm']), armTitle, 'Δ points (95 % CI)', 'p', 'seeds', 'verdict'];
  const align: TextTable['align'] = ['right', 'right', 'right', ...(single ? [] : ['left' as const]), 'right', 'right', 'right', 'right', 'left'];
  const rows: string[][] = [];
  for (const f of summary.fractions) {
    const base = f.hasBaseline ? meanStd(f.baselineMean, f.baselineStd) : '–';
    if (f.comparisons.length === 0) {
      rows.push([count(f.labeled), fractionText(f.fraction), base, ...(single ? [] : ['–']), '–', '–', '–', String(f.seeds), 'baseline only']);
    }
    for (const c of f.comparisons) {
      const delta = Number.isFinite(c.delta) ? `${signed(c.delta)} (${ciText(c.ciLow, c.ciHigh)})` : '–';
      rows.push([
        count(f.labeled), fractionText(f.fraction), base, ...(single ? [] : [c.arm]),
        meanStd(c.armMean, c.armStd), delta, pValueText(c.pValue), String(c.n || f.seeds), c.verdict,
      ]);
    }
  }
  return { header, rows, align };
}

/** The summary as aligned plain text for the terminal (the last thing a run prints before the report path). */
export function terminalTable(summary: Summary): string {
  const t = summaryTable(summary);
  const widths = t.header.map((h, i) => Math.max(h.length, ...t.rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((c, i) => (t.align[i] === 'right' ? c.padStart(widths[i]) : c.padEnd(widths[i]))).join('  ').trimEnd();
  return [line(t.header), widths.map((w) => '─'.repeat(w)).join('  '), ...t.rows.map(line)].join('\n');
}

/** Columns of summary.csv (accuracies in %, Δ in points). */
export const SUMMARY_COLUMNS = [
  'dataset', 'fraction', 'labeled', 'arm', 'seeds', 'baseline_mean', 'baseline_std', 'arm_mean', 'arm_std',
  'delta', 'ci_low', 'ci_high', 'p_value', 'significant', 'verdict',
] as const;

const round = (x: number, d = 4): number => (Number.isFinite(x) ? Number(x.toFixed(d)) : NaN);

/** Write summary.csv atomically (one line per fraction × arm), for spreadsheets and other tools. */
export async function writeSummaryCsv(file: string, summary: Summary): Promise<void> {
  const rows: (string | number)[][] = [];
  for (const f of summary.fractions) {
    for (const c of f.comparisons) {
      rows.push([
        summary.dataset, f.fraction, round(f.labeled, 1), c.arm, c.n, round(f.baselineMean), round(f.baselineStd),
        round(c.armMean), round(c.armStd), round(c.delta), round(c.ciLow), round(c.ciHigh), round(c.pValue, 6),
        c.significant ? 'yes' : 'no', c.verdict,
      ]);
    }
  }
  await writeFileAtomic(file, csvText(SUMMARY_COLUMNS, rows));
}

/** A one-line label for a fraction ("80 labels (1 %)"), for chart titles and section headings. */
export function fractionLabel(f: Pick<FractionSummary, 'labeled' | 'fraction'>): string {
  return `${count(f.labeled)} labels (${fractionText(f.fraction)})`;
}


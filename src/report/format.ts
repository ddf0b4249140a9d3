/**
 * Number and name formatting shared by every report output (terminal,
 * markdown, HTML, charts), so "74.0 %" and "+0.9 points" read the same
 * everywhere.
 */
import { armNamed } from '../arms/index.ts';

/** U+2212, the typographic minus: "−0.4" reads better than "-0.4" in prose and tables. */
export const MINUS = '\u2212';

/** A number with fixed decimals and a real minus sign; "–" for NaN. */
export function fixed(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return '–';
  const s = Math.abs(x).toFixed(digits);
  return (x < 0 && Number(s) !== 0 ? MINUS : '') + s;
}

/** A signed number ("+0.9", "−1.2", "0.0"), for differences. */
export function signed(x: number, digits = 1): string {
  if (!Number.isFinite(x)) return '–';
  const s = fixed(x, digits);
  return x > 0 && Number(Math.abs(x).toFixed(digits)) !== 0 ? `+${s}` : s;
}

/** Percent with one decimal: "74.0 %". */
export function pct(x: number, digits = 1): string {
  return Number.isFinite(x) ? `${fixed(x, digits)} %` : '–';
}

/** Mean ± std in percent: "74.0 ± 0.8". */
export function meanStd(m: number, s: number, digits = 1): string {
  if (!Number.isFinite(m)) return '–';
  return `${fixed(m, digits)} ± ${fixed(s, digits)}`;
}

/** A p-value the way papers write it: "0.19", "0.043", "< 0.001"; "–" when there is no test. */
export function pValueText(p: number): string {
  if (!Number.isFinite(p)) return '–';
  if (p < 0.001) return '< 0.001';
  if (p >= 0.1) return p.toFixed(2);
  return p.toPrecision(2);
}

/** "p = 0.19" / "p < 0.001". */
export function pClause(p: number): string {
  const t = pValueText(p);
  return t.startsWith('<') ? `p ${t}` : `p = ${t}`;
}

/** Confidence interval "−0.4…2.2". */
export function ciText(low: number, high: number, digits = 1): string {
  if (!Number.isFinite(low) || !Number.isFinite(high)) return '–';
  return `${fixed(low, digits)}…${fixed(high, digits)}`;
}

/** An integer with thousands separators: "60,000". */
export function count(n: number): string {
  return Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : '–';
}

/** A fraction as a short percent: 0.01 → "1 %", 0.005 → "0.5 %". */
export function fractionText(f: number): string {
  return `${Number((f * 100).toPrecision(3))} %`;
}

/** Arms that go beyond the seed's question (does autoencoder pretraining help?): other uses of the unlabeled pool. */
export function isBeyondSeed(arm: string): boolean {
  return armNamed(arm).beyondSeed === true;
}

/** One clause saying what an arm is. */
export function armDescription(arm: string): string {
  return armNamed(arm).description;
}

/** What an arm changes, as the subject of a sentence ("pretraining helps"). */
export function armSubject(arm: string): string {
  return armNamed(arm).subject;
}

/** Capitalise the first letter of a sentence. */
export function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

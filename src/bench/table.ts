/**
 * Plain-text tables with aligned columns for the terminal: numbers right-aligned,
 * text left-aligned, so a bench run reads at a glance and pastes into a README.
 */

export type Cell = string | number | null | undefined;

/** A number with thousands separators and `digits` decimals; '–' for missing or non-finite values. */
export function formatNumber(value: number | null | undefined, digits = 0): string {
  if (value == null || !Number.isFinite(value)) return '–';
  return value.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
}

function isNumeric(text: string): boolean {
  return /^[-+]?[\d,]*\.?\d+\s*%?$/.test(text.trim()) || text.trim() === '–';
}

/** Render rows under a header with columns padded to their widest cell (numeric-looking cells right-aligned). */
export function formatTable(header: string[], rows: Cell[][]): string {
  const text = rows.map((row) => header.map((_, c) => (row[c] == null ? '' : String(row[c]))));
  const widths = header.map((h, c) => Math.max(h.length, ...text.map((row) => row[c].length)));
  const numeric = header.map((_, c) => text.length > 0 && text.every((row) => row[c] === '' || isNumeric(row[c])));
  const line = (cells: string[]): string => cells
    .map((cell, c) => (numeric[c] ? cell.padStart(widths[c]) : cell.padEnd(widths[c])))
    .join('  ')
    .trimEnd();
  const rule = widths.map((w) => '-'.repeat(w)).join('  ');
  return [line(header), rule, ...text.map(line)].join('\n');
}

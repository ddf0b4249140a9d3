/**
 * CSV text of a table: a header line and one line per row, strings quoted where they need it
 * (csvCell), numbers as JavaScript writes them, non-finite numbers as empty cells.
 */
import { csvCell } from '../util/csv-cell.ts';

/** CSV text (header + one line per row) of `rows`, cells in `columns` order; strings quoted, non-finite numbers empty. */
export function csvText(columns: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  const cell = (value: string | number) => (typeof value === 'string' ? csvCell(value) : Number.isFinite(value) ? String(value) : '');
  return [columns.join(','), ...rows.map((row) => row.map(cell).join(','))].map((line) => `${line}\n`).join('');
}

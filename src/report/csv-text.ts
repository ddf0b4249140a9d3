/**
 * CSV text through danfojs, with the quoting danfojs-node 1.2.0 leaves out:
 * its toCSV joins cells with ',' and never quotes, so a cell holding a comma,
 * quote or newline would shift every column after it.
 */
import * as dfd from 'danfojs-node';
import { csvCell } from '../util/csv-cell.ts';

/** CSV text (header + one line per row) of `rows`, cells in `columns` order; strings quoted, non-finite numbers empty. */
export function csvText(columns: readonly string[], rows: readonly (readonly (string | number)[])[]): string {
  if (rows.length === 0) return columns.join(',') + '\n';
  const data = rows.map((r) => r.map((v) => (typeof v === 'string' ? csvCell(v) : Number.isFinite(v) ? v : '')));
  const df = new dfd.DataFrame(data, { columns: [...columns] });
  return dfd.toCSV(df) as string;
}

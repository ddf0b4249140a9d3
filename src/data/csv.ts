/**
 * Tabular datasets from a CSV file (read with danfojs): one label column, numeric feature columns.
 * Values stay raw here; standardisation and mean imputation use training-pool statistics and
 * therefore run after the split (see standardise.ts).
 */
import { existsSync, statSync } from 'node:fs';
import { basename } from 'node:path';
import type { DataFrame } from 'danfojs-node';
import { UserError } from '../errors.ts';
import { sortClassNames, UNLABELED, type Dataset } from './dataset.ts';

export interface CsvLoadOptions {
  /** Column holding the class of each row; any value type (numbers, strings, booleans). */
  labelColumn: string;
  /** Columns to ignore (identifiers, free text, …). */
  dropColumns?: string[];
  /**
   * 'mean': accept missing feature cells; they are stored as NaN and later filled with the
   * training-pool mean by imputeMeanFromPool. Without it a missing cell is a UserError.
   */
  impute?: 'mean';
  /** Dataset name for reports; defaults to the file's base name. */
  name?: string;
}

/** The largest finite float32: features are stored as float32, so a larger value would become Infinity. */
const FLOAT32_MAX = 3.4028234663852886e38;

/** Cell texts read as "missing" besides empty cells. */
const MISSING_TOKENS = new Set(['na', 'nan', 'n/a', 'null', 'none', '?']);

/** A cell as danfojs reads it. */
export type Cell = string | number | boolean | null | undefined;

/** An empty cell (danfojs reads it as null). */
function isEmpty(v: Cell): boolean {
  return v === null || v === undefined || (typeof v === 'number' && Number.isNaN(v)) || (typeof v === 'string' && v.trim() === '');
}

/** An empty cell or one holding a usual token for a missing value (NA, NaN, null, …). */
export function isMissing(v: Cell): boolean {
  if (v === null || v === undefined) return true;
  if (typeof v === 'number') return Number.isNaN(v);
  if (typeof v === 'string') return v.trim() === '' || MISSING_TOKENS.has(v.trim().toLowerCase());
  return false;
}

/** The number in a cell, or undefined when it is not numeric (booleans count as 1/0). */
export function toNumber(v: Cell): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const n = Number(v.trim());
    return Number.isFinite(n) ? n : undefined;
  }
  return undefined;
}

/** A CSV file's header and its cells column by column (as danfojs typed them). */
export interface CsvColumns {
  columns: string[];
  rowCount: number;
  cells(column: string): Cell[];
}

/** Read a CSV file with a header row; a UserError naming the file when it has no rows or does not parse. */
export async function readCsvColumns(file: string): Promise<CsvColumns> {
  // Imported on first use: loading danfojs (and tfjs under it) takes over a second, which image runs should not pay.
  const dfd = await import('danfojs-node');
  let df: DataFrame;
  try {
    df = await dfd.readCSV(file, { skipEmptyLines: 'greedy' } as Parameters<typeof dfd.readCSV>[1]);
  } catch (error) {
    const message = (error as Error).message;
    if (/No data found/i.test(message)) throw new UserError(`${file}: no data rows under the header; the CSV needs one row per sample`);
    throw new UserError(`${file}: cannot parse as CSV (${message}); check that it is comma-separated with a header row`);
  }
  return { columns: df.columns.map(String), rowCount: df.shape[0], cells: (column) => df.column(column).values as Cell[] };
}

/**
 * Load a CSV file as a Dataset with raw feature values, classes named by the sorted distinct labels;
 * a row with an empty label cell is unlabeled (y = UNLABELED) but still needs its features.
 */
export async function loadCsvDataset(file: string, options: CsvLoadOptions): Promise<Dataset> {
  if (!existsSync(file) || !statSync(file).isFile()) throw new UserError(`${file}: CSV file not found; check the --csv path`);
  const table = await readCsvColumns(file);
  const columns = table.columns;
  const available = columns.map((c) => JSON.stringify(c)).join(', ');
  if (!columns.includes(options.labelColumn)) {
    throw new UserError(`${file}: no label column "${options.labelColumn}"; available columns: ${available} (choose one with --label-column)`);
  }
  const drop = new Set(options.dropColumns ?? []);
  for (const c of drop) {
    if (!columns.includes(c)) throw new UserError(`${file}: --drop-columns names "${c}", which is not a column; available columns: ${available}`);
  }
  if (drop.has(options.labelColumn)) throw new UserError(`${file}: the label column "${options.labelColumn}" is also in --drop-columns; remove it from one of them`);
  const features = columns.filter((c) => c !== options.labelColumn && !drop.has(c));
  if (features.length === 0) throw new UserError(`${file}: no feature columns left besides the label "${options.labelColumn}"; keep at least one column`);

  const n = table.rowCount;
  const d = features.length;
  const columnValues = table.cells;

  // Labels: an empty cell marks an unlabeled row (pool only); classes are the sorted distinct labels.
  const labelCells = columnValues(options.labelColumn);
  const labelKeys = new Array<string | undefined>(n);
  for (let r = 0; r < n; r++) {
    const v = labelCells[r];
    if (isEmpty(v)) continue;
    if (isMissing(v)) {
      throw new UserError(`${file}: data row ${r + 1} has ${JSON.stringify(v)} in the label column "${options.labelColumn}", which reads as a missing value: leave the cell empty to mark the row unlabeled, or give its class`);
    }
    labelKeys[r] = typeof v === 'string' ? v.trim() : String(v);
  }
  const present = labelKeys.filter((key): key is string => key !== undefined);
  if (present.length === 0) {
    throw new UserError(`${file}: no row has a label in the column "${options.labelColumn}": give the class of at least a few rows of each class (an empty cell marks a row unlabeled)`);
  }
  const classNames = sortClassNames([...new Set(present)]);
  if (classNames.length < 2) {
    throw new UserError(`${file}: the label column "${options.labelColumn}" has only one class (${JSON.stringify(classNames[0])}); a classifier needs at least two`);
  }
  const classIndex = new Map(classNames.map((name, i) => [name, i]));
  const y = new Int32Array(n);
  for (let r = 0; r < n; r++) y[r] = labelKeys[r] === undefined ? UNLABELED : classIndex.get(labelKeys[r]!)!;

  // Features: numeric only; missing cells are an error unless imputing (then NaN until the pool mean fills them).
  const x = new Float32Array(n * d);
  let firstMissing: { row: number; column: string } | undefined;
  for (let j = 0; j < d; j++) {
    const cells = columnValues(features[j]);
    let present = 0;
    for (let r = 0; r < n; r++) {
      const v = cells[r];
      if (isMissing(v)) {
        x[r * d + j] = Number.NaN;
        if (!firstMissing || r < firstMissing.row) firstMissing = { row: r, column: features[j] };
        continue;
      }
      const num = toNumber(v);
      if (num === undefined) {
        throw new UserError(`${file}: column "${features[j]}" is not numeric (data row ${r + 1} holds ${JSON.stringify(v)}); drop it with --drop-columns ${JSON.stringify(features[j])}`);
      }
      if (Math.abs(num) > FLOAT32_MAX) {
        throw new UserError(`${file}: column "${features[j]}" data row ${r + 1} holds ${JSON.stringify(v)}, beyond what a float32 holds (±3.4e38), so it would train on Infinity; rescale that column or drop it with --drop-columns ${JSON.stringify(features[j])}`);
      }
      x[r * d + j] = num;
      present++;
    }
    if (present === 0) throw new UserError(`${file}: column "${features[j]}" has no values at all; drop it with --drop-columns ${JSON.stringify(features[j])}`);
  }
  if (firstMissing && options.impute !== 'mean') {
    throw new UserError(`${file}: missing value in data row ${firstMissing.row + 1}, column "${firstMissing.column}"; fill the gaps or pass --impute mean`);
  }
  return { name: options.name ?? basename(file), x, y, inputShape: [d], classNames, featureNames: features };
}

/**
 * --dataset csv --csv FILE --label-column NAME: a table of numeric feature columns and a label column
 * of any type (read with danfojs); a row whose label cell is empty is unlabeled.
 */
import fs from 'node:fs';
import { basename } from 'node:path';
import { UserError } from '../../errors.ts';
import { splitList } from '../../util/option-values.ts';
import { defineSource } from './source.ts';

export interface CsvSource {
  kind: 'csv';
  file: string;
  labelColumn: string;
  dropColumns?: string[];
  /** Fill missing feature cells with the pool's mean (after the split); without it a gap is an error. */
  impute?: 'mean';
}

/** Its part of the config (a type, not an interface: plain JSON). */
type CsvOptions = {
  csv: string;
  labelColumn: string;
  dropColumns?: string[];
  impute?: 'none' | 'mean';
}

export const csvSource = defineSource({
  kind: 'csv',
  names: { csv: 'a table, --csv and --label-column' },
  options: {
    csv: { kind: 'path', describe: 'the CSV file' },
    'label-column': { kind: 'text', describe: 'name of the column holding the class (an empty cell: unlabeled)' },
    'drop-columns': { kind: 'text', describe: 'columns to ignore, comma-separated' },
    impute: { kind: 'text', describe: 'missing values: none (error) | mean (pool mean)', defaultDescription: 'none' },
  },
  read(_dataset, given): CsvOptions {
    const csv = given.path('csv');
    const labelColumn = given.text('label-column');
    const dropColumns = given.text('drop-columns');
    const impute = given.text('impute');
    if (csv === undefined) throw new UserError('--dataset csv needs --csv FILE and --label-column NAME.');
    if (!fs.existsSync(csv)) throw new UserError(`--csv ${given.text('csv')} does not exist: give the path of a CSV file.`);
    if (!fs.statSync(csv).isFile()) throw new UserError(`--csv ${given.text('csv')} is not a regular file: give the path of a CSV file.`);
    if (labelColumn === undefined || labelColumn.trim() === '') throw new UserError('--dataset csv needs --label-column NAME: the column holding each row\'s class.');
    if (impute !== undefined && impute !== 'none' && impute !== 'mean') throw new UserError(`--impute ${impute} is unknown: use none or mean.`);
    return {
      csv, labelColumn,
      ...(dropColumns !== undefined ? { dropColumns: splitList('drop-columns', dropColumns) } : {}),
      ...(impute !== undefined ? { impute } : {}),
    };
  },
  source: (_dataset, options): CsvSource => ({
    kind: 'csv', file: options.csv, labelColumn: options.labelColumn, dropColumns: options.dropColumns ?? [],
    ...(options.impute === 'mean' ? { impute: 'mean' as const } : {}),
  }),
  describe: (_dataset, options) => `the CSV table ${basename(options.csv)}, classes from its column ${options.labelColumn}`,
  async locate(source: CsvSource) {
    // danfojs loads only to decode: a cached table is read without it.
    const decode = async () => (await import('../csv.ts')).loadCsvDataset(source.file, source);
    // A missing file surfaces as the loader's UserError rather than as a hashing failure.
    if (!fs.existsSync(source.file)) return { decode };
    const params = { loader: 'csv', labelColumn: source.labelColumn, dropColumns: source.dropColumns ?? [], impute: source.impute ?? null };
    return { fingerprint: { name: basename(source.file), files: [source.file], params }, decode };
  },
});

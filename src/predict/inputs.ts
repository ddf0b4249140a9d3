/**
 * What `npm run predict` is given, turned into the rows an exported model takes: image files
 * (or folders of them) decoded exactly as in training, or the data rows of CSV files scaled with
 * the training pool's statistics. An input that cannot be used becomes one problem line naming it
 * and the fix; the usable inputs are still predicted.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isMissing, readCsvColumns, toNumber } from '../data/csv.ts';
import { decodeImage, imageFilesUnder } from '../data/images.ts';
import { applyTableScaling } from '../data/standardise.ts';
import { UserError } from '../errors.ts';
import type { ImagePreprocessing, Preprocessing, TablePreprocessing } from '../export/exported-model.ts';
import { mapLimited } from '../util/concurrency.ts';

/** Usable inputs, one model row each, and one line per input that is not. */
export interface PreparedInputs {
  /** What names an input in the output: 'file' for images, 'row' for CSV data rows. */
  nameColumn: 'file' | 'row';
  names: string[];
  /** names.length × features, ready for the model. */
  rows: Float32Array;
  problems: string[];
}

const isCsv = (file: string) => file.toLowerCase().endsWith('.csv');

function describeModelInput(pre: Preprocessing): string {
  return pre.kind === 'image' ? `images (${pre.width}×${pre.height}, ${pre.channels === 1 ? 'greyscale' : 'RGB'})` : `table rows with the columns ${pre.columns.map((c) => JSON.stringify(c)).join(', ')}`;
}

/**
 * The input files: each path as given, folders replaced by the files under them that suit the
 * model (images, or .csv files); a path that does not exist or does not suit the model is a problem.
 */
export function expandInputs(paths: readonly string[], pre: Preprocessing): { files: string[]; problems: string[] } {
  const files: string[] = [];
  const problems: string[] = [];
  for (const given of paths) {
    const stat = fs.statSync(given, { throwIfNoEntry: false });
    if (!stat) {
      problems.push(`${given}: no such file or folder; check the path`);
    } else if (stat.isDirectory()) {
      const found = pre.kind === 'image'
        ? imageFilesUnder(given).map((file) => path.join(given, file))
        : fs.readdirSync(given).filter(isCsv).sort().map((file) => path.join(given, file));
      if (found.length === 0) problems.push(`${given}: a folder without ${pre.kind === 'image' ? 'images (.png, .jpg, .jpeg, .webp)' : '.csv files'}; this model classifies ${describeModelInput(pre)}`);
      files.push(...found);
    } else if (pre.kind === 'image' && isCsv(given)) {
      problems.push(`${given}: a CSV file, but this model classifies ${describeModelInput(pre)}: give image files or folders of them`);
    } else if (pre.kind === 'table' && !isCsv(given)) {
      problems.push(`${given}: not a .csv file, but this model classifies ${describeModelInput(pre)}: give CSV files with a header row`);
    } else {
      files.push(given);
    }
  }
  return { files, problems };
}

/** Decode images as the model was trained on them; an unreadable file is a problem line. */
export async function prepareImages(files: readonly string[], pre: ImagePreprocessing): Promise<PreparedInputs> {
  const target = { width: pre.width, height: pre.height, channels: pre.channels };
  type Decoded = { file: string; bytes: Buffer } | { file: string; problem: string };
  const decoded = await mapLimited(files, 2 * Math.max(2, os.availableParallelism()), async (file): Promise<Decoded> => {
    try {
      return { file, bytes: await decodeImage(file, target) };
    } catch (error) {
      return { file, problem: `${file}: cannot be read as an image (${String((error as Error).message).split('\n')[0].replace(/:\s*$/, '')}); give a PNG, JPEG or WebP file` };
    }
  });
  const kept = decoded.flatMap((d) => ('bytes' in d ? [d] : []));
  const rows = new Float32Array(kept.length * pre.features);
  kept.forEach(({ bytes }, r) => { for (let k = 0; k < pre.features; k++) rows[r * pre.features + k] = bytes[k] / 255; });
  return { nameColumn: 'file', names: kept.map((d) => d.file), rows, problems: decoded.flatMap((d) => ('problem' in d ? [d.problem] : [])) };
}

/**
 * The data rows of CSV files, by the model's column names (other columns are ignored), scaled as in
 * training. A row with a cell that is not a number, or empty where the model was trained without
 * --impute mean, is a problem line; a file that lacks a column, one line for the file.
 */
export async function prepareTableRows(files: readonly string[], pre: TablePreprocessing): Promise<PreparedInputs> {
  const names: string[] = [];
  const values: number[] = [];
  const problems: string[] = [];
  for (const file of files) {
    let table;
    try {
      table = await readCsvColumns(file);
    } catch (error) {
      if (!(error instanceof UserError)) throw error;
      problems.push(error.message);
      continue;
    }
    const missing = pre.columns.filter((column) => !table.columns.includes(column));
    if (missing.length > 0) {
      problems.push(`${file}: no column ${missing.map((c) => JSON.stringify(c)).join(', ')}; the model needs the columns ${pre.columns.map((c) => JSON.stringify(c)).join(', ')} (in any order, others are ignored)`);
      continue;
    }
    const cells = pre.columns.map((column) => table.cells(column));
    for (let r = 0; r < table.rowCount; r++) {
      const row: number[] = [];
      let problem: string | undefined;
      pre.columns.forEach((column, j) => {
        if (problem) return;
        const cell = cells[j][r];
        if (isMissing(cell)) {
          if (pre.fill) row.push(Number.NaN);
          else problem = `${file}: data row ${r + 1}, column "${column}" is empty; the model was trained without --impute mean, so fill it in`;
          return;
        }
        const value = toNumber(cell);
        if (value === undefined) problem = `${file}: data row ${r + 1}, column "${column}" holds ${JSON.stringify(cell)}, not a number; correct that cell`;
        else row.push(value);
      });
      if (problem) {
        problems.push(problem);
        continue;
      }
      names.push(files.length === 1 ? String(r + 1) : `${file}:${r + 1}`);
      values.push(...row);
    }
  }
  return { nameColumn: 'row', names, rows: applyTableScaling(Float32Array.from(values), pre), problems };
}

/**
 * Reading and writing the files a finished run leaves in its folder
 * (run-record.ts): results.csv (read with papaparse), the rest as JSON. The
 * pipeline writes them with these functions; the report reads them back, so
 * a report can be rebuilt from the folder alone.
 */
import { readFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { basename, join } from 'node:path';
import Papa from 'papaparse';
import { writeFileAtomic } from '../artifacts/atomic.ts';
import { csvText } from './csv-text.ts';
import { UserError } from '../errors.ts';
import { RESULT_COLUMNS, type ResultRow } from '../eval/results.ts';
import type { TrainingCurve } from '../train/curves.ts';
import type { ConfusionRecord, RunParams, RunPictures } from './run-record.ts';
import { isArmName } from '../arms/index.ts';
import { checkConfusions, checkCurves, checkParams, checkPictures, ShapeError } from './run-validation.ts';

import { RUN_FILES } from './run-folder.ts';

export { RUN_FILES } from './run-folder.ts';

/** Everything a report is built from. `pictures` is absent for table datasets. */
export interface RunFiles {
  rows: ResultRow[];
  params: RunParams;
  curves: TrainingCurve[];
  confusions: ConfusionRecord[];
  pictures?: RunPictures;
}

const STRING_COLUMNS = new Set<keyof ResultRow>(['dataset', 'arm', 'backend']);
const INTEGER_COLUMNS = new Set<keyof ResultRow>(['seed', 'labeled', 'epochs']);
/** Numbers that may be missing: an empty cell (a run without a validation set), or no column at all (a results.csv from before it existed). */
const OPTIONAL_COLUMNS = new Set<keyof ResultRow>(['valAccuracy']);

function fixRow(file: string, message: string): UserError {
  return new UserError(`${file} is invalid: ${message}; rerun the pipeline or fix that line of the file`);
}

/** Check one row before writing: a NaN accuracy or unknown arm in results.csv is a pipeline bug, caught here. */
function checkRowForWrite(row: ResultRow, i: number): void {
  for (const col of RESULT_COLUMNS) {
    const v = row[col];
    const ok = STRING_COLUMNS.has(col) ? typeof v === 'string' : typeof v === 'number' && (Number.isFinite(v) || (OPTIONAL_COLUMNS.has(col) && Number.isNaN(v)));
    if (!ok) {
      throw new Error(`writeResultsCsv: row ${i} has ${col} = ${JSON.stringify(v)}`);
    }
  }
  if (!isArmName(row.arm)) throw new Error(`writeResultsCsv: row ${i} has unknown arm ${JSON.stringify(row.arm)}`);
}

/** Throw when two rows share seed × fraction × arm: the paired comparison needs exactly one of each. */
function checkUnique(rows: readonly ResultRow[], onDuplicate: (msg: string) => Error): void {
  const seen = new Set<string>();
  for (const r of rows) {
    const key = `${r.seed}|${r.fraction}|${r.arm}`;
    if (seen.has(key)) throw onDuplicate(`two rows for seed ${r.seed}, fraction ${r.fraction}, arm ${r.arm}`);
    seen.add(key);
  }
}

/**
 * Throw when the rows are not one paired experiment: every arm must have a row
 * for exactly the seeds the baseline has at each fraction (an unpaired row
 * would mix means over different seeds with a paired Δ), each fraction one
 * label count, and no two fractions the same label count (one experiment
 * reported twice).
 */
function checkPaired(rows: readonly ResultRow[], onProblem: (msg: string) => Error): void {
  const arms = [...new Set(rows.map((r) => r.arm))];
  if (!arms.includes('baseline')) throw onProblem('it has no baseline rows, so there is nothing to compare the arms with');
  const fractionAt = new Map<number, number>();
  for (const fraction of [...new Set(rows.map((r) => r.fraction))].sort((a, b) => a - b)) {
    const at = rows.filter((r) => r.fraction === fraction);
    const labeled = new Set(at.map((r) => r.labeled));
    if (labeled.size > 1) throw onProblem(`fraction ${fraction} has rows with different label counts (${[...labeled].join(', ')})`);
    const [count] = labeled;
    const other = fractionAt.get(count);
    if (other !== undefined) throw onProblem(`fractions ${other} and ${fraction} both have ${count} labels, so one experiment would be reported twice`);
    fractionAt.set(count, fraction);
    const seedsOf = (arm: string) => new Set(at.filter((r) => r.arm === arm).map((r) => r.seed));
    const base = seedsOf('baseline');
    for (const arm of arms) {
      const mine = seedsOf(arm);
      const missing = [...base].find((seed) => !mine.has(seed));
      const extra = [...mine].find((seed) => !base.has(seed));
      if (missing === undefined && extra === undefined) continue;
      const [seed, has, lacks] = missing !== undefined ? [missing, 'baseline', arm] : [extra!, arm, 'baseline'];
      throw onProblem(`at fraction ${fraction} (${count} labels) seed ${seed} has a ${has} row but no ${lacks} row, so the comparison would not be paired`);
    }
  }
}

/** Write results.csv (columns in RESULT_COLUMNS order, one row per seed × fraction × arm) atomically. */
export async function writeResultsCsv(file: string, rows: readonly ResultRow[]): Promise<void> {
  if (rows.length === 0) throw new Error('writeResultsCsv: no rows to write');
  rows.forEach(checkRowForWrite);
  checkUnique(rows, (m) => new Error(`writeResultsCsv: ${m}`));
  checkPaired(rows, (m) => new Error(`writeResultsCsv: ${m}`));
  await writeFileAtomic(file, csvText(RESULT_COLUMNS, rows.map((r) => RESULT_COLUMNS.map((c) => r[c]))));
}

/** Read results.csv back into typed rows; a missing file, missing column or bad cell is a UserError naming the file. */
export async function readResultsCsv(file: string): Promise<ResultRow[]> {
  const name = basename(file);
  if (!existsSync(file)) throw new UserError(`${file} is missing: pass the folder of a finished run (it holds ${name})`);
  // Cells stay strings (no dynamicTyping) so a dataset called "2024" stays a string; numbers are parsed below.
  const parsed = Papa.parse<Record<string, string>>(await readFile(file, 'utf8'), { header: true, dynamicTyping: false, skipEmptyLines: 'greedy' });
  const columns = parsed.meta.fields ?? [];
  if (columns.length === 0) throw new UserError(`${file} is invalid: it has no header line; rerun the pipeline to write it again`);
  const missing = RESULT_COLUMNS.filter((c) => !columns.includes(c) && !OPTIONAL_COLUMNS.has(c));
  if (missing.length > 0) {
    throw new UserError(`${file} is invalid: missing column(s) ${missing.join(', ')}; it must have the header ${RESULT_COLUMNS.join(',')}`);
  }
  const records = parsed.data;
  if (records.length === 0) throw new UserError(`${file} is invalid: it has no result rows; rerun the pipeline to write it again`);
  const rows = records.map((rec, i) => {
    const line = i + 2; // 1-based, after the header
    const row: Record<string, unknown> = {};
    for (const col of RESULT_COLUMNS) {
      const cell = rec[col];
      const text = cell === null || cell === undefined ? '' : String(cell);
      if (STRING_COLUMNS.has(col)) {
        row[col] = text;
        continue;
      }
      const v = text.trim() === '' ? NaN : Number(text);
      if (OPTIONAL_COLUMNS.has(col) && text.trim() === '') {
        row[col] = NaN;
        continue;
      }
      if (!Number.isFinite(v) || (INTEGER_COLUMNS.has(col) && !Number.isInteger(v))) {
        throw fixRow(file, `line ${line} has ${col} = ${JSON.stringify(text)}, expected ${INTEGER_COLUMNS.has(col) ? 'an integer' : 'a number'}`);
      }
      row[col] = v;
    }
    if (!isArmName(row.arm)) throw fixRow(file, `line ${line} has unknown arm ${JSON.stringify(row.arm)}`);
    const acc = row.accuracy as number;
    if (acc < 0 || acc > 1) throw fixRow(file, `line ${line} has accuracy ${acc}, expected a fraction in [0, 1]`);
    return row as unknown as ResultRow;
  });
  checkUnique(rows, (m) => fixRow(file, m));
  checkPaired(rows, (m) => new UserError(`${file} is invalid: ${m}; rerun the pipeline (it resumes from its cache) to write it again, or remove those rows`));
  return rows;
}

async function readJson(dir: string, name: string, what: string): Promise<unknown> {
  const file = join(dir, name);
  if (!existsSync(file)) throw new UserError(`${file} is missing: pass the folder of a finished run (it holds ${what})`);
  try {
    return JSON.parse(await readFile(file, 'utf8'));
  } catch (err) {
    throw new UserError(`${file} is not valid JSON (${(err as Error).message}); rerun the pipeline to write it again`);
  }
}

/** Run a shape check, turning its error into a one-line UserError that names the file. */
function checked<T>(file: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ShapeError) throw new UserError(`${file} is invalid: ${err.message}; rerun the pipeline to write it again`);
    throw err;
  }
}

/** Same check for the writer: bad data from the pipeline is a bug, so a plain Error with the field. */
function checkedForWrite<T>(name: string, check: () => T): T {
  try {
    return check();
  } catch (err) {
    if (err instanceof ShapeError) throw new Error(`writeRunFiles: ${name}: ${err.message}`);
    throw err;
  }
}

/** JSON text in which NaN/Infinity become null (JSON has no NaN), so a diverged loss survives the round trip. */
function toJson(value: unknown, indent?: number): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'number' && !Number.isFinite(v) ? null : v), indent) + '\n';
}

/** Write params.json atomically (validated first); the pipeline may call this again as stages finish. */
export async function writeParamsJson(dir: string, params: RunParams): Promise<void> {
  checkedForWrite(RUN_FILES.params, () => checkParams(JSON.parse(toJson(params))));
  await writeFileAtomic(join(dir, RUN_FILES.params), toJson(params, 2));
}

/** Write curves.json atomically (validated first). */
export async function writeCurvesJson(dir: string, curves: readonly TrainingCurve[]): Promise<void> {
  checkedForWrite(RUN_FILES.curves, () => checkCurves(JSON.parse(toJson(curves))));
  await writeFileAtomic(join(dir, RUN_FILES.curves), toJson(curves));
}

/** Write confusion.json atomically (validated first). */
export async function writeConfusionJson(dir: string, confusions: readonly ConfusionRecord[]): Promise<void> {
  checkedForWrite(RUN_FILES.confusion, () => checkConfusions(confusions));
  await writeFileAtomic(join(dir, RUN_FILES.confusion), toJson(confusions));
}

/** Write pictures.json atomically (validated first); only image datasets have one. */
export async function writePicturesJson(dir: string, pictures: RunPictures): Promise<void> {
  checkedForWrite(RUN_FILES.pictures, () => checkPictures(pictures));
  await writeFileAtomic(join(dir, RUN_FILES.pictures), toJson(pictures));
}

/**
 * Write every input file of a report into `dir`, each atomically. The
 * pipeline writes them into a fresh folder (run-folder.ts replaces a run
 * folder as a whole), so no file of an earlier run can remain beside them.
 */
export async function writeRunFiles(dir: string, files: RunFiles): Promise<void> {
  await writeResultsCsv(join(dir, RUN_FILES.results), files.rows);
  await writeParamsJson(dir, files.params);
  await writeCurvesJson(dir, files.curves);
  await writeConfusionJson(dir, files.confusions);
  if (files.pictures) await writePicturesJson(dir, files.pictures);
}

/** Read and validate only params.json of a run folder (for listing runs without loading their results). */
export async function readParamsJson(dir: string): Promise<RunParams> {
  const raw = await readJson(dir, RUN_FILES.params, 'the run configuration');
  return checked(join(dir, RUN_FILES.params), () => checkParams(raw));
}

/** Read and validate a run folder's files; anything missing or malformed is a UserError naming the file and the fix. */
export async function readRunFiles(dir: string): Promise<RunFiles> {
  if (!existsSync(dir)) throw new UserError(`run folder ${dir} does not exist: pass the folder a run printed at its end (e.g. reports/<run>)`);
  const rows = await readResultsCsv(join(dir, RUN_FILES.results));
  const p = await readParamsJson(dir);
  const curvesRaw = await readJson(dir, RUN_FILES.curves, 'the training curves');
  const curves = checked(join(dir, RUN_FILES.curves), () => checkCurves(curvesRaw));
  const confRaw = await readJson(dir, RUN_FILES.confusion, 'the confusion matrices');
  const confusions = checked(join(dir, RUN_FILES.confusion), () => checkConfusions(confRaw, p.dataset.classNames.length));
  const files: RunFiles = { rows, params: p, curves, confusions };
  if (existsSync(join(dir, RUN_FILES.pictures))) {
    const picRaw = await readJson(dir, RUN_FILES.pictures, 'reconstructions and the latent map');
    files.pictures = checked(join(dir, RUN_FILES.pictures), () => checkPictures(picRaw));
  }
  return files;
}

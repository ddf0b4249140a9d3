/**
 * Run folders: where a run's report goes when --out does not say, which
 * files a run folder holds, and how it is replaced. semisup writes a run
 * folder only as a whole — built beside it, then swapped in — so a failure
 * (a full disk, a kill) leaves the old folder or the new one, never a mix;
 * and it refuses a folder holding anything it did not write, so it never
 * deletes or overwrites someone else's file.
 */
import { EXPORT_FILES, MODEL_FOLDER } from '../export/exported-model.ts';
import fs from 'node:fs';
import path from 'node:path';
import { writeFolderAtomic } from '../artifacts/atomic.ts';
import { UserError } from '../errors.ts';
import { displayPath } from '../util/user-paths.ts';
import { checkParams } from './run-validation.ts';

/** The files a finished run leaves for its report (see run-record.ts). */
export const RUN_FILES = {
  results: 'results.csv',
  params: 'params.json',
  curves: 'curves.json',
  confusion: 'confusion.json',
  pictures: 'pictures.json',
} as const;

/** The record of which jobs ran and which were cached. */
export const JOBS_FILE = 'jobs.json';

/** The report's own files, built from the run files. */
export const REPORT_FILES = { html: 'report.html', md: 'report.md', summary: 'summary.csv', figures: 'figures' } as const;

/** Every figure a report can have (figures/<id>.svg, or .png for the picture). */
export const FIGURE_IDS = [
  'learning-curve', 'delta', 'pretrain-loss', 'training-curves', 'training-curves-all', 'reconstructions', 'latent-map', 'confusion', 'per-class',
] as const;
export type FigureId = (typeof FIGURE_IDS)[number];

/** Inputs a run folder may also hold: tuning.csv (npm run tune) and the exported model's folder. */
export const TUNING_FILE = 'tuning.csv';

const OWN_TOP_LEVEL = new Set<string>([...Object.values(RUN_FILES), JOBS_FILE, TUNING_FILE, REPORT_FILES.html, REPORT_FILES.md, REPORT_FILES.summary]);
const OWN_FIGURES = new Set<string>(FIGURE_IDS.flatMap((id) => [`${id}.svg`, `${id}.png`]));
const OWN_MODEL_FILES = new Set<string>(Object.values(EXPORT_FILES));

/** A run id that sorts by time and is safe as a folder name, e.g. 2026-11-29T09-29-41. */
export function newRunId(now: Date): string {
  return now.toISOString().replace(/\..*$/, '').replace(/:/g, '-');
}

/** Create <reportsRoot>/<id> (or <id>-2, -3, … when two runs start in the same second) and return it. */
export function claimRunDir(reportsRoot: string, runId: string): string {
  fs.mkdirSync(reportsRoot, { recursive: true });
  for (let n = 1; ; n++) {
    const dir = path.join(reportsRoot, n === 1 ? runId : `${runId}-${n}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

/** True when `dir` holds a params.json that semisup wrote (it has the shape of one). */
export function isRunFolder(dir: string): boolean {
  try {
    checkParams(JSON.parse(fs.readFileSync(path.join(dir, RUN_FILES.params), 'utf8')));
    return true;
  } catch {
    return false;
  }
}

/** Entries of an existing folder (paths relative to it) that are not files semisup writes into a run folder. */
export function foreignEntries(dir: string): string[] {
  const foreign: string[] = [];
  for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
    // `.tmp-*` are semisup's own unfinished writes (atomic.ts).
    if (entry.name.startsWith('.tmp-')) continue;
    const ownFolder = entry.name === REPORT_FILES.figures ? OWN_FIGURES : entry.name === MODEL_FOLDER ? OWN_MODEL_FILES : undefined;
    if (ownFolder && entry.isDirectory()) {
      for (const file of fs.readdirSync(path.join(dir, entry.name), { withFileTypes: true })) {
        if (!(file.isFile() && ownFolder.has(file.name)) && !file.name.startsWith('.tmp-')) foreign.push(`${entry.name}/${file.name}`);
      }
    } else if (!(entry.isFile() && OWN_TOP_LEVEL.has(entry.name))) {
      foreign.push(entry.name);
    }
  }
  return foreign.sort();
}

function listed(names: string[]): string {
  return names.length === 1 ? names[0] : `${names.slice(0, 3).join(', ')}${names.length > 3 ? ` and ${names.length - 3} more` : ''}`;
}

/**
 * Check that `dir` may receive a run folder: it is absent, empty, or a
 * semisup run folder holding only semisup's files. `what` names it in the
 * message (e.g. "--out x").
 */
export function checkRunFolderTarget(what: string, dir: string): void {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) return;
  const entries = fs.readdirSync(dir).filter((name) => !name.startsWith('.tmp-'));
  if (entries.length === 0) return;
  if (!isRunFolder(dir)) {
    throw new UserError(`${what} is a folder with other files in it (${listed(entries.sort())}), not a semisup run folder: give a new or empty folder; semisup replaces only its own run folders.`);
  }
  const foreign = foreignEntries(dir);
  if (foreign.length > 0) {
    throw new UserError(`${what} is a semisup run folder, but ${listed(foreign)} in it ${foreign.length === 1 ? 'was' : 'were'} not written by semisup and would be lost: move ${foreign.length === 1 ? 'it' : 'them'} out, or give another folder.`);
  }
}

/**
 * Write a run folder as a whole: `fill` writes every file into a staging
 * folder beside `dir`, which then replaces `dir`. The target is checked
 * again just before the swap, in case someone put a file into it meanwhile.
 */
export async function replaceRunFolder(dir: string, fill: (staging: string) => Promise<void>): Promise<void> {
  const what = `the run folder ${displayPath(path.resolve(dir))}`;
  checkRunFolderTarget(what, dir);
  // Through a symlink, the folder it points to is the run folder; the link itself stays.
  const target = fs.existsSync(dir) ? fs.realpathSync(dir) : dir;
  await writeFolderAtomic(target, fill, () => checkRunFolderTarget(what, target));
}

/** Copy a run folder's inputs (results, params, curves, …, jobs.json, tuning.csv, the exported model) that exist into `to`. */
export function copyRunInputs(from: string, to: string): void {
  for (const name of [...Object.values(RUN_FILES), JOBS_FILE, TUNING_FILE]) {
    const file = path.join(from, name);
    if (fs.existsSync(file)) fs.copyFileSync(file, path.join(to, name));
  }
  const model = path.join(from, MODEL_FOLDER);
  if (fs.existsSync(model)) fs.cpSync(model, path.join(to, MODEL_FOLDER), { recursive: true, filter: (source) => !path.basename(source).startsWith('.tmp-') });
}

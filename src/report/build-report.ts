/**
 * The report stage: read a run folder's files, write summary.csv,
 * figures/*.svg|png, report.md and report.html beside them, and refresh the
 * reports index. Needs nothing but the folder, so a report can be rebuilt
 * (or restyled) without training. The folder is replaced as a whole
 * (run-folder.ts): a failed build leaves the earlier report untouched.
 */
import { existsSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../artifacts/atomic.ts';
import type { ArtifactStore } from '../artifacts/store.ts';
import { renderHtml } from './html.ts';
import { LATEST_FILE, writeReportsIndex } from './index-page.ts';
import { renderMarkdown } from './markdown.ts';
import { buildReportContent, type ReportContent } from './report-content.ts';
import { readRunFiles } from './run-files.ts';
import { copyRunInputs, replaceRunFolder, REPORT_FILES } from './run-folder.ts';
import { terminalTable, writeSummaryCsv } from './summary.ts';

export { REPORT_FILES } from './run-folder.ts';

export interface BuildReportOptions {
  /**
   * Folder whose index.html and LATEST to refresh. Default: the run folder's
   * parent when it is a reports root (named "reports" or holding LATEST);
   * false: do not touch any index.
   */
  reportsRoot?: string | false;
  /**
   * Write the run's input files (results.csv, params.json, …) into the new
   * folder; default: copy them from the existing run folder (a rebuild).
   */
  writeInputs?: (staging: string) => Promise<void>;
  /** A store to keep rendered charts in and read them back from (the pipeline's cache folder). */
  charts?: ArtifactStore;
}

export interface BuiltReport {
  htmlPath: string;
  mdPath: string;
  summaryPath: string;
  /** The ten-second sentence. */
  headline: string;
  /** The summary table as aligned plain text, for the terminal. */
  table: string;
  /** Problems with the training that the numbers alone would hide (diverged or chance-level arms), one line each. */
  warnings: string[];
  /** Path of the refreshed reports index, when one was written. */
  indexPath?: string;
}

/** The reports root to refresh for a run folder under the default rule, or undefined. */
export function defaultReportsRoot(runDir: string): string | undefined {
  const parent = dirname(resolve(runDir));
  return basename(parent) === 'reports' || existsSync(join(parent, LATEST_FILE)) ? parent : undefined;
}

/** Write the report's own files (summary.csv, figures, report.md, report.html) into a folder. */
async function writeReportFiles(dir: string, content: ReportContent): Promise<void> {
  await writeSummaryCsv(join(dir, REPORT_FILES.summary), content.summary);
  for (const f of content.figures) {
    const data = f.kind === 'svg' ? f.svg : f.png;
    if (data === undefined) continue;
    await writeFileAtomic(join(dir, f.file), f.kind === 'svg' ? `<?xml version="1.0" encoding="UTF-8"?>\n${data}` : data);
  }
  await writeFileAtomic(join(dir, REPORT_FILES.md), renderMarkdown(content));
  await writeFileAtomic(join(dir, REPORT_FILES.html), renderHtml(content));
}

/** Build the whole report of a finished run into its folder; returns where it went plus the headline and table. */
export async function buildReport(runDir: string, options: BuildReportOptions = {}): Promise<BuiltReport> {
  // A rebuild reads the folder first, so a folder that is not a run fails before anything is written.
  if (!options.writeInputs) await readRunFiles(runDir);
  let content: ReportContent | undefined;
  await replaceRunFolder(runDir, async (staging) => {
    if (options.writeInputs) await options.writeInputs(staging);
    else copyRunInputs(runDir, staging);
    content = await buildReportContent(await readRunFiles(staging), { charts: options.charts });
    await writeReportFiles(staging, content);
  });
  const built = content!;
  const root = options.reportsRoot === false ? undefined : options.reportsRoot ?? defaultReportsRoot(runDir);
  const indexPath = root ? await writeReportsIndex(root) : undefined;
  return {
    htmlPath: join(runDir, REPORT_FILES.html),
    mdPath: join(runDir, REPORT_FILES.md),
    summaryPath: join(runDir, REPORT_FILES.summary),
    headline: built.headline,
    table: terminalTable(built.summary),
    warnings: built.warnings,
    indexPath,
  };
}

/**
 * The report stage: read a run folder's files, write summary.csv,
 * figures/*.svg|png, report.md and report.html beside them, and refresh the
 * reports index. Needs nothing but the folder, so a report can be rebuilt
 * (or restyled) without training.
 */
import { existsSync } from 'node:fs';
import { readdir, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { writeFileAtomic } from '../artifacts/atomic.ts';
import { renderHtml } from './html.ts';
import { LATEST_FILE, writeReportsIndex } from './index-page.ts';
import { renderMarkdown } from './markdown.ts';
import { buildReportContent } from './report-content.ts';
import { readRunFiles } from './run-files.ts';
import { terminalTable, writeSummaryCsv } from './summary.ts';

export interface BuildReportOptions {
  /**
   * Folder whose index.html and LATEST to refresh. Default: the run folder's
   * parent when it is a reports root (named "reports" or holding LATEST);
   * false: do not touch any index.
   */
  reportsRoot?: string | false;
}

export interface BuiltReport {
  htmlPath: string;
  mdPath: string;
  summaryPath: string;
  /** The ten-second sentence. */
  headline: string;
  /** The summary table as aligned plain text, for the terminal. */
  table: string;
  /** Path of the refreshed reports index, when one was written. */
  indexPath?: string;
}

/** The folder files for the report itself (besides the run files). */
export const REPORT_FILES = { html: 'report.html', md: 'report.md', summary: 'summary.csv', figures: 'figures' } as const;

/** The reports root to refresh for a run folder under the default rule, or undefined. */
export function defaultReportsRoot(runDir: string): string | undefined {
  const parent = dirname(resolve(runDir));
  return basename(parent) === 'reports' || existsSync(join(parent, LATEST_FILE)) ? parent : undefined;
}

/** Build the whole report of a finished run from its folder; returns where it went plus the headline and table. */
export async function buildReport(runDir: string, options: BuildReportOptions = {}): Promise<BuiltReport> {
  const run = await readRunFiles(runDir);
  const content = await buildReportContent(run);

  const summaryPath = join(runDir, REPORT_FILES.summary);
  await writeSummaryCsv(summaryPath, content.summary);

  const written = new Set<string>();
  for (const f of content.figures) {
    const data = f.kind === 'svg' ? f.svg : f.png;
    if (data === undefined) continue;
    await writeFileAtomic(join(runDir, f.file), f.kind === 'svg' ? `<?xml version="1.0" encoding="UTF-8"?>\n${data}` : data);
    written.add(basename(f.file));
  }
  // drop figures an earlier build wrote that this one does not (e.g. after a run was re-done as a table dataset)
  const figuresDir = join(runDir, REPORT_FILES.figures);
  if (existsSync(figuresDir)) {
    for (const name of await readdir(figuresDir)) {
      if (/\.(svg|png)$/.test(name) && !written.has(name)) await rm(join(figuresDir, name), { force: true });
    }
  }

  const mdPath = join(runDir, REPORT_FILES.md);
  const htmlPath = join(runDir, REPORT_FILES.html);
  await writeFileAtomic(mdPath, renderMarkdown(content));
  await writeFileAtomic(htmlPath, renderHtml(content));

  const root = options.reportsRoot === false ? undefined : options.reportsRoot ?? defaultReportsRoot(runDir);
  const indexPath = root ? await writeReportsIndex(root) : undefined;
  return { htmlPath, mdPath, summaryPath, headline: content.headline, table: terminalTable(content.summary), indexPath };
}

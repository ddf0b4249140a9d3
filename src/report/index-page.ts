/**
 * reports/index.html — every run folder under a reports root, newest first,
 * with its headline Δ — and reports/LATEST, a text file holding the newest
 * run's folder name (a plain file works on every OS and file system, where
 * a symlink does not).
 */
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomic } from '../artifacts/atomic.ts';
import { count, fractionText, pClause, signed } from './format.ts';
import { escapeHtml } from './html.ts';
import { readRunFiles, RUN_FILES } from './run-files.ts';
import { findTrainingProblems } from './training-health.ts';
import { mainComparison, summarise } from './summary.ts';

/** Name of the pointer file in a reports root. */
export const LATEST_FILE = 'LATEST';

export interface RunListing {
  folder: string;
  createdAt: string;
  dataset: string;
  fractions: number[];
  labeled: number[];
  seeds: number;
  /** e.g. "+3.0 points at 80 labels (p = 0.012)", or why there is none. */
  delta: string;
  significant: boolean;
  hasReport: boolean;
}

export interface RunList {
  runs: RunListing[];
  /** Folders that look like runs but cannot be read (crashed or in progress), with the reason. */
  incomplete: { folder: string; reason: string }[];
}

/** Read every run folder under `reportsRoot` (those holding params.json or results.csv), newest first. */
export async function listRuns(reportsRoot: string): Promise<RunList> {
  const runs: RunListing[] = [];
  const incomplete: RunList['incomplete'] = [];
  if (!existsSync(reportsRoot)) return { runs, incomplete };
  const entries = await readdir(reportsRoot, { withFileTypes: true });
  for (const e of entries) {
    if (!e.isDirectory() || e.name.startsWith('.')) continue;
    const dir = join(reportsRoot, e.name);
    if (!existsSync(join(dir, RUN_FILES.params)) && !existsSync(join(dir, RUN_FILES.results))) continue;
    try {
      const run = await readRunFiles(dir);
      const params = run.params;
      // The same judgement as the report: a comparison with an arm that did not learn shows no Δ.
      const summary = summarise(run.rows, findTrainingProblems(run));
      const first = summary.fractions[0];
      const c = first ? mainComparison(first) : undefined;
      const delta = c?.unusable ? `none: ${c.unusable}` : first && c && Number.isFinite(c.delta)
        ? `${signed(c.delta)} points (${c.arm}) at ${count(first.labeled)} labels${c.n >= 2 ? `, ${pClause(c.pValue)}` : ', 1 seed'}`
        : 'no comparison';
      runs.push({
        folder: e.name,
        createdAt: params.createdAt,
        dataset: params.dataset.name,
        fractions: summary.fractions.map((f) => f.fraction),
        labeled: summary.fractions.map((f) => f.labeled),
        seeds: summary.seeds.length,
        delta,
        significant: c?.significant ?? false,
        hasReport: existsSync(join(dir, 'report.html')),
      });
    } catch (err) {
      incomplete.push({ folder: e.name, reason: (err as Error).message });
    }
  }
  runs.sort((a, b) => (a.createdAt === b.createdAt ? b.folder.localeCompare(a.folder) : b.createdAt.localeCompare(a.createdAt)));
  incomplete.sort((a, b) => b.folder.localeCompare(a.folder));
  return { runs, incomplete };
}

/** Marks an index page as semisup's, so a page someone else keeps in that folder is never overwritten. */
const INDEX_TITLE = '<title>semisup reports</title>';

/** The index page's HTML (self-contained, escaped), from a run list. */
export function renderIndexHtml(list: RunList): string {
  const rows = list.runs.map((r) => {
    const link = r.hasReport ? `<a href="${escapeHtml(encodeURIComponent(r.folder))}/report.html">${escapeHtml(r.folder)}</a>` : `${escapeHtml(r.folder)} <span class="muted">(no report yet)</span>`;
    const labels = r.labeled.map((l, i) => `<span class="nowrap">${escapeHtml(`${count(l)} (${fractionText(r.fractions[i])})`)}</span>`).join(', ');
    return `<tr><td class="nowrap">${escapeHtml(r.createdAt.replace('T', ' ').replace(/\.\d+Z$|Z$/, ''))}</td><td class="nowrap">${link}</td><td>${escapeHtml(r.dataset)}</td><td>${labels}</td><td class="num">${r.seeds}</td><td class="${r.significant ? 'sig' : 'ns'}">${escapeHtml(r.delta)}${r.significant ? '' : ' <span class="muted">(not significant)</span>'}</td></tr>`;
  }).join('\n');
  const broken = list.incomplete.length === 0 ? '' :
    `<h2>Incomplete folders</h2><ul>${list.incomplete.map((b) => `<li><b>${escapeHtml(b.folder)}</b>: ${escapeHtml(b.reason)}</li>`).join('')}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">${INDEX_TITLE}
<style>
body { margin: 0; font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Arial, sans-serif; color: #1f2328; }
main { max-width: 1100px; margin: 0 auto; padding: 28px 24px; }
h1 { font-size: 24px; margin: 0 0 6px; } h2 { font-size: 18px; margin-top: 28px; }
p { color: #59636e; margin: 0 0 16px; }
table { border-collapse: collapse; width: 100%; font-size: 14px; }
th, td { padding: 7px 10px; border-bottom: 1px solid #d8dee4; text-align: left; vertical-align: top; }
th { background: #f6f8fa; border-bottom: 2px solid #d8dee4; }
td.num { text-align: right; } .nowrap { white-space: nowrap; }
a { color: #0969da; text-decoration: none; } a:hover { text-decoration: underline; }
.sig { color: #1a7f37; font-weight: 500; } .muted { color: #6e7781; }
</style></head>
<body><main>
<h1>semisup reports</h1>
<p>${list.runs.length} run${list.runs.length === 1 ? '' : 's'}, newest first. Δ is the main arm minus the baseline at the fewest labels, paired by seed.</p>
<table><thead><tr><th>date (UTC)</th><th>run</th><th>dataset</th><th>labels (fraction)</th><th>seeds</th><th>headline Δ</th></tr></thead>
<tbody>
${rows || '<tr><td colspan="6">No runs yet.</td></tr>'}
</tbody></table>
${broken}
</main></body></html>
`;
}

/** True when `file` is absent or looks like the pointer semisup writes (at most one line, a folder name). */
async function isOwnPointer(file: string): Promise<boolean> {
  if (!existsSync(file)) return true;
  const lines = (await readFile(file, 'utf8')).split('\n').filter((line) => line.trim() !== '');
  return lines.length === 0 || (lines.length === 1 && !/[\\/]/.test(lines[0]) && lines[0].length <= 255);
}

/**
 * Write reports/index.html and reports/LATEST (newest run's folder name); returns the index path, or
 * undefined when the folder already holds an index.html that semisup did not write (then neither is touched).
 */
export async function writeReportsIndex(reportsRoot: string): Promise<string | undefined> {
  const indexPath = join(reportsRoot, 'index.html');
  if (existsSync(indexPath) && !(await readFile(indexPath, 'utf8')).includes(INDEX_TITLE)) return undefined;
  const list = await listRuns(reportsRoot);
  await writeFileAtomic(indexPath, renderIndexHtml(list));
  const latest = join(reportsRoot, LATEST_FILE);
  if (list.runs.length > 0 && (await isOwnPointer(latest))) await writeFileAtomic(latest, `${list.runs[0].folder}\n`);
  return indexPath;
}

/** The newest run folder under `reportsRoot` (from LATEST, else by scanning), or undefined when there is none. */
export async function latestRunDir(reportsRoot: string): Promise<string | undefined> {
  const pointer = join(reportsRoot, LATEST_FILE);
  if (existsSync(pointer)) {
    const name = (await readFile(pointer, 'utf8')).trim();
    if (name && !name.includes('/') && !name.includes('\\') && existsSync(join(reportsRoot, name, RUN_FILES.results))) return join(reportsRoot, name);
  }
  const { runs } = await listRuns(reportsRoot);
  return runs[0] ? join(reportsRoot, runs[0].folder) : undefined;
}

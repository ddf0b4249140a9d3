/**
 * report.html: one self-contained file that opens from disk with no network
 * and no scripts — CSS inline, charts as inline SVG, pictures as data: URIs.
 * Every string that comes from the run (dataset, class names, config) is
 * escaped.
 */
import type { Block, Figure, ReportContent, Tone } from './report-content.ts';
import type { TextTable } from './summary.ts';

/** Escape text for HTML content and attribute values, so a dataset called "<b>" stays text. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

const CSS = `
:root { --fg: #1f2328; --muted: #59636e; --line: #d8dee4; --bg-soft: #f6f8fa; --helps: #1a7f37; --hurts: #cf222e; --ns: #6e7781; --accent: #0969da; }
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; }
body { margin: 0; color: var(--fg); background: #fff; font: 15px/1.55 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1100px; margin: 0 auto; padding: 28px 24px 56px; }
header h1 { font-size: 26px; margin: 0 0 4px; letter-spacing: -0.01em; }
.subtitle { color: var(--muted); margin: 0 0 14px; }
nav.toc { font-size: 13px; color: var(--muted); border-bottom: 1px solid var(--line); padding-bottom: 12px; margin-bottom: 8px; }
nav.toc a { color: var(--accent); text-decoration: none; margin-right: 14px; white-space: nowrap; }
nav.toc a:hover { text-decoration: underline; }
section { margin-top: 30px; }
h2 { font-size: 19px; margin: 0 0 12px; padding-bottom: 6px; border-bottom: 1px solid var(--line); }
p { margin: 8px 0 12px; max-width: 78ch; }
.headline { font-size: 19px; line-height: 1.45; font-weight: 600; margin: 6px 0 14px; padding: 14px 18px; border-left: 5px solid var(--ns); background: var(--bg-soft); border-radius: 4px; max-width: none; }
.headline.helps { border-left-color: var(--helps); }
.headline.hurts { border-left-color: var(--hurts); }
.figures { display: flex; flex-wrap: wrap; gap: 18px 28px; align-items: flex-start; }
/* display: table makes the caption as wide as the chart above it, so two charts fit side by side */
figure { margin: 0; display: table; }
figcaption { display: table-caption; caption-side: bottom; }
figure .chart svg, figure img { display: block; max-width: 100%; height: auto; }
figure img { image-rendering: pixelated; border: 1px solid var(--line); }
figcaption { font-size: 13px; color: var(--muted); padding-top: 6px; }
.table-wrap { overflow-x: auto; }
table { border-collapse: collapse; font-size: 14px; margin: 6px 0 12px; }
th, td { padding: 6px 10px; border-bottom: 1px solid var(--line); vertical-align: top; }
th { text-align: left; font-weight: 600; background: var(--bg-soft); border-bottom: 2px solid var(--line); white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
tbody tr:hover { background: #fafbfc; }
td.verdict { font-weight: 500; }
tr.helps td.verdict { color: var(--helps); }
tr.hurts td.verdict { color: var(--hurts); }
tr.ns td.verdict { color: var(--ns); }
table.kv td:first-child { color: var(--muted); white-space: nowrap; }
table.kv td:last-child { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 13px; word-break: break-word; }
.kv-row { display: flex; flex-wrap: wrap; gap: 0 40px; align-items: flex-start; }
.nowrap { white-space: nowrap; }
ul.links { font-size: 13px; color: var(--muted); padding-left: 18px; }
footer { margin-top: 40px; padding-top: 12px; border-top: 1px solid var(--line); font-size: 12px; color: var(--muted); }
@media print { nav.toc { display: none; } section { break-inside: avoid-page; } }
`;

function tableHtml(t: TextTable, tones?: Tone[], cls = ''): string {
  const cell = (tag: string, text: string, i: number, extra = '') => {
    const classes = [t.align[i] === 'right' ? 'num' : '', extra].filter(Boolean).join(' ');
    return `<${tag}${classes ? ` class="${classes}"` : ''}>${escapeHtml(text)}</${tag}>`;
  };
  const verdictCol = t.header.indexOf('verdict');
  const head = `<thead><tr>${t.header.map((h, i) => cell('th', h, i)).join('')}</tr></thead>`;
  const body = t.rows.map((r, ri) => {
    const tone = tones?.[ri];
    return `<tr${tone ? ` class="${tone}"` : ''}>${r.map((c, i) => cell('td', c, i, i === verdictCol ? 'verdict' : '')).join('')}</tr>`;
  }).join('\n');
  return `<div class="table-wrap"><table${cls ? ` class="${cls}"` : ''}>${head}<tbody>\n${body}\n</tbody></table></div>`;
}

function figureHtml(f: Figure): string {
  const body = f.kind === 'svg'
    ? `<div class="chart" role="img" aria-label="${escapeHtml(f.alt)}">${f.svg ?? ''}</div>`
    : `<img src="data:image/png;base64,${(f.png ?? Buffer.alloc(0)).toString('base64')}" alt="${escapeHtml(f.alt)}"${f.width ? ` width="${f.width * 2}" height="${(f.height ?? 0) * 2}"` : ''}>`;
  return `<figure id="fig-${escapeHtml(f.id)}">${body}<figcaption>${escapeHtml(f.caption)}</figcaption></figure>`;
}

function blockHtml(b: Block): string {
  switch (b.kind) {
    case 'headline':
      // keep a confidence interval such as "1.6…4.5" on one line
      return `<p class="headline ${b.tone}">${escapeHtml(b.text).replace(/(\S+…\S+)/g, '<span class="nowrap">$1</span>')}</p>`;
    case 'paragraph':
      return `<p>${escapeHtml(b.text)}</p>`;
    case 'figures':
      return `<div class="figures">${b.figures.map(figureHtml).join('\n')}</div>`;
    case 'table':
      return tableHtml(b.table, b.tones);
    case 'keyValues':
      return tableHtml({ header: [b.title, ''], rows: b.rows, align: ['left', 'left'] }, undefined, 'kv');
    case 'links':
      return `<ul class="links">${b.items.map((l) => `<li>${escapeHtml(l.text)} — <a href="${escapeHtml(l.url)}">${escapeHtml(l.url)}</a></li>`).join('')}</ul>`;
  }
}

function sectionHtml(blocks: Block[]): string {
  const out: string[] = [];
  for (let i = 0; i < blocks.length; i++) {
    if (blocks[i].kind === 'keyValues') {
      const group: Block[] = [];
      while (i < blocks.length && blocks[i].kind === 'keyValues') group.push(blocks[i++]);
      i--;
      // consecutive key-value tables (config, environment) sit side by side
      out.push(`<div class="kv-row">${group.map(blockHtml).join('\n')}</div>`);
    } else {
      out.push(blockHtml(blocks[i]));
    }
  }
  return out.join('\n');
}

/** Render the report model as one self-contained HTML page (no scripts, no network). */
export function renderHtml(content: ReportContent, footer = ''): string {
  const toc = content.sections.map((s) => `<a href="#${escapeHtml(s.id)}">${escapeHtml(s.title)}</a>`).join('\n');
  const sections = content.sections.map((s) => `<section id="${escapeHtml(s.id)}">\n<h2>${escapeHtml(s.title)}</h2>\n${sectionHtml(s.blocks)}\n</section>`).join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(content.title)}</title>
<style>${CSS}</style>
</head>
<body>
<main>
<header><h1>${escapeHtml(content.title)}</h1><p class="subtitle">${escapeHtml(content.subtitle)}</p></header>
<nav class="toc">${toc}</nav>
${sections}
<footer>${escapeHtml(footer || 'Generated by semisup from the run files in this folder (results.csv, params.json, curves.json, confusion.json, pictures.json); rebuild it with npm run report -- <this folder>.')}</footer>
</main>
</body>
</html>
`;
}

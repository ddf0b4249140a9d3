import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from '../src/report/build-report.ts';
import { escapeHtml } from '../src/report/html.ts';
import { latestRunDir, listRuns, writeReportsIndex } from '../src/report/index-page.ts';
import { markdownLinkTargets } from '../src/report/markdown.ts';
import { makeFakeRun, writeFakeRun } from './fixtures/fake-run.ts';
import { writeRunFiles } from '../src/report/run-files.ts';
import { CITATIONS, FULL_MNIST_FINGERPRINT } from '../src/report/published-results.ts';

async function tempRoot(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'semisup-report-'));
}

const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

/** Every src/href value in an HTML text. */
function references(html: string): { attr: string; value: string }[] {
  return [...html.matchAll(/\b(src|href|xlink:href)\s*=\s*"([^"]*)"/g)].map((m) => ({ attr: m[1], value: m[2] }));
}

async function folderBytes(dir: string): Promise<number> {
  let total = 0;
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    total += e.isDirectory() ? await folderBytes(p) : statSync(p).size;
  }
  return total;
}

test('buildReport on an image run: self-contained HTML with every chart and picture, markdown links resolve', async () => {
  const root = await tempRoot();
  try {
    const runDir = join(root, 'reports', 'run-a');
    await writeFakeRun(runDir);
    const started = Date.now();
    const built = await buildReport(runDir);
    const seconds = (Date.now() - started) / 1000;
    assert.ok(seconds < 10, `rebuild took ${seconds} s`);
    assert.match(built.headline, /^With 80 labels, pretraining raised accuracy from/);
    assert.match(built.table, /^labels\s+fraction/);

    const html = await readFile(built.htmlPath, 'utf8');
    // self-contained: no scripts, no stylesheets or images from anywhere but data: URIs and in-page anchors
    assert.equal(count(html, /<script/gi), 0);
    assert.equal(count(html, /<link\b/gi), 0);
    assert.equal(count(html, /@import|url\(\s*['"]?https?:/gi), 0);
    for (const ref of references(html)) {
      assert.ok(ref.value.startsWith('#') || ref.value.startsWith('data:'), `external reference ${ref.attr}="${ref.value.slice(0, 60)}"`);
    }
    // 8 charts (learning curve, Δ, pretraining loss, training curves ×2, latent map, confusion, per-class) and 1 picture
    assert.equal(count(html, /<svg\b/g), 8);
    assert.equal(count(html, /<img\b/g), 1);
    assert.match(html, /<img src="data:image\/png;base64,/);
    // SVG ids (clip paths) must be unique across the inlined charts
    const ids = [...html.matchAll(/\bid="([^"]+)"/g)].map((m) => m[1]);
    assert.equal(new Set(ids).size, ids.length, 'duplicate id in report.html');
    // sections in order
    const order = ['headline', 'learning-curve', 'summary', 'training', 'reconstructions', 'latent-map', 'confusion', 'configuration'];
    const positions = order.map((id) => html.indexOf(`<section id="${id}">`));
    assert.ok(positions.every((p) => p >= 0), `missing section: ${order[positions.indexOf(-1)]}`);
    assert.deepEqual([...positions].sort((a, b) => a - b), positions);
    assert.ok(!html.includes('id="published"'), 'published numbers only for full MNIST');
    assert.match(html, /no significant difference/);

    const md = await readFile(built.mdPath, 'utf8');
    const targets = markdownLinkTargets(md);
    assert.equal(targets.filter((t) => t.endsWith('.svg')).length, 8);
    assert.equal(targets.filter((t) => t.endsWith('.png')).length, 1);
    for (const t of targets) assert.ok(existsSync(join(runDir, t)), `report.md links to missing ${t}`);
    assert.ok(existsSync(built.summaryPath));

    assert.ok((await folderBytes(runDir)) < 5 * 1024 * 1024, 'report folder over 5 MB');
    // the parent is a reports root: index and LATEST refreshed
    assert.equal(built.indexPath, join(root, 'reports', 'index.html'));
    assert.equal((await readFile(join(root, 'reports', 'LATEST'), 'utf8')).trim(), 'run-a');
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a table run has no pictures or latent map and says why; user strings are escaped', async () => {
  const root = await tempRoot();
  try {
    const runDir = join(root, 'run-t');
    const evil = '<script>alert(1)</script>';
    await writeFakeRun(runDir, { image: false, datasetName: `iris${evil}.csv`, classNames: ['a&b', evil, 'c|d'] });
    const built = await buildReport(runDir, { reportsRoot: false });
    assert.equal(built.indexPath, undefined);
    const html = await readFile(built.htmlPath, 'utf8');
    assert.ok(!html.includes(evil), 'raw user string in HTML');
    assert.ok(html.includes(escapeHtml(`iris${evil}.csv`)));
    assert.equal(count(html, /<script/gi), 0);
    assert.equal(count(html, /<img\b/g), 0);
    assert.equal(count(html, /<svg\b/g), 7);
    assert.match(html, /is a table dataset/);
    const md = await readFile(built.mdPath, 'utf8');
    assert.ok(!md.includes('<script>'));
    for (const t of markdownLinkTargets(md)) assert.ok(existsSync(join(runDir, t)), `report.md links to missing ${t}`);
    assert.ok(!existsSync(join(runDir, 'figures', 'reconstructions.png')));
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('full MNIST at 100/600/1000/3000 labels per the published protocol shows the published errors with citations', async () => {
  const root = await tempRoot();
  try {
    const runDir = join(root, 'run-m');
    const protocol = { datasetName: 'mnist', fingerprint: FULL_MNIST_FINGERPRINT, poolSize: 60000, testSize: 10000, fractions: [100 / 60000, 600 / 60000, 1000 / 60000, 3000 / 60000], seeds: [1, 2, 3], config: { labelsPerClass: [10, 60, 100, 300], augmentShift: 0, encoder: 'mlp' } };
    await writeFakeRun(runDir, protocol);
    const built = await buildReport(runDir, { reportsRoot: false });
    const html = await readFile(built.htmlPath, 'utf8');
    assert.match(html, /<section id="published">/);
    assert.match(html, /this run: baseline/);
    assert.match(html, /25\.80/); // NN at 100 labels
    assert.match(html, /href="https:\/\/arxiv\.org\/abs\/1406\.5298"/);
    assert.match(html, /Pseudo-label \+ DAE/); // Lee 2013, beside the pseudo-label arm
    assert.match(html, /10\.49/);
    // the only external references are the citation links (plain <a>, not resources)
    const citationUrls = new Set(CITATIONS.map((c) => c.url));
    for (const ref of references(html)) {
      assert.ok(ref.value.startsWith('#') || ref.value.startsWith('data:') || (ref.attr === 'href' && citationUrls.has(ref.value)), ref.value.slice(0, 60));
    }
    const md = await readFile(built.mdPath, 'utf8');
    assert.match(md, /\| CAE \| 13\.47 \| 6\.30 \| 4\.77 \| 3\.22 \|/);
    // Fashion-MNIST has the same sizes, but the published numbers are not about it.
    const fashionDir = join(root, 'run-f');
    await writeFakeRun(fashionDir, { datasetName: 'fashion-mnist', fingerprint: '0123456789abcdef', poolSize: 60000, testSize: 10000, fractions: [100 / 60000, 1000 / 60000], seeds: [1, 2] });
    const fashion = await readFile((await buildReport(fashionDir, { reportsRoot: false })).htmlPath, 'utf8');
    assert.doesNotMatch(fashion, /<section id="published">/);
    // Off the published protocol: one line saying why, no numbers.
    const cases: [Partial<typeof protocol>, RegExp][] = [
      [{ config: { ...protocol.config, augmentShift: 2 } }, /--augment-shift 2 uses image structure/],
      [{ config: { ...protocol.config, encoder: 'conv' } }, /the conv encoder uses image structure/],
      [{ config: { ...protocol.config, labelsPerClass: [] } }, /fractions of the pool, not a fixed number per class/],
      [{ seeds: [1, 2] }, /2 seeds \(give at least 3\)/],
    ];
    for (const [i, [change, why]] of cases.entries()) {
      const dir = join(root, `off-${i}`);
      await writeFakeRun(dir, { ...protocol, ...change });
      const html = await readFile((await buildReport(dir, { reportsRoot: false })).htmlPath, 'utf8');
      assert.match(html, /Published results on full MNIST are not shown beside this run/);
      assert.match(html, why);
      assert.doesNotMatch(html, /this run: baseline|Pseudo-label \+ DAE/, 'published numbers were shown');
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('a run whose settings were chosen on test scores carries a visible caveat; settings show how they were chosen', async () => {
  const root = await tempRoot();
  try {
    const peeked = makeFakeRun();
    peeked.params.preset = { name: 'paper', chosenOn: 'test' };
    peeked.params.selection = { learningRate: 'preset', pretrainEpochs: 'user' };
    await writeRunFiles(join(root, 'peeked'), peeked);
    const html = await readFile((await buildReport(join(root, 'peeked'), { reportsRoot: false })).htmlPath, 'utf8');
    assert.match(html, /Caveat: the settings of the paper preset were chosen by comparing test accuracies/);
    assert.match(html, /0\.001 \(preset\)/);
    assert.match(html, /12 \(user\)/);
    const retuned = makeFakeRun();
    retuned.params.preset = { name: 'paper', chosenOn: 'validation', stillFromTest: 'architecture and pretraining settings' };
    retuned.params.config = { ...retuned.params.config, armSettings: [{ arm: 'pretrained', budget: '10 per class', settings: { learningRate: 0.0005 } }] };
    await writeRunFiles(join(root, 'retuned'), retuned);
    const retunedHtml = await readFile((await buildReport(join(root, 'retuned'), { reportsRoot: false })).htmlPath, 'utf8');
    assert.match(retunedHtml, /Caveat: the paper preset(?:'|&#39;|&apos;)s classifier settings were chosen on the validation split \(npm run tune\), but its architecture and pretraining settings were picked earlier by comparing test accuracies/);
    assert.match(retunedHtml, /These arms train with settings of their own/);
    assert.match(retunedHtml, /except the settings pretrained has of its own \(listed under Configuration\)/);
    assert.match(retunedHtml, /learningRate 0\.0005/);
    const honest = makeFakeRun();
    honest.params.preset = { name: 'quick', chosenOn: 'none' };
    await writeRunFiles(join(root, 'honest'), honest);
    assert.doesNotMatch(await readFile((await buildReport(join(root, 'honest'), { reportsRoot: false })).htmlPath, 'utf8'), /Caveat/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

test('reports index lists runs newest first, LATEST points at the newest, broken folders are listed apart', async () => {
  const root = await tempRoot();
  try {
    await writeFakeRun(join(root, 'old'), { createdAt: '2025-01-01T00:00:00.000Z', runId: 'old' });
    await writeFakeRun(join(root, 'new'), { createdAt: '2025-02-01T00:00:00.000Z', runId: 'new', datasetName: 'a<b' });
    await writeFakeRun(join(root, 'broken'));
    await writeFile(join(root, 'broken', 'params.json'), '{');
    assert.equal(await latestRunDir(root), join(root, 'new'));
    const list = await listRuns(root);
    assert.deepEqual(list.runs.map((r) => r.folder), ['new', 'old']);
    assert.deepEqual(list.incomplete.map((r) => r.folder), ['broken']);
    assert.match(list.runs[0].delta, /points \(pretrained\) at 80 labels, p = /);
    const index = await readFile((await writeReportsIndex(root))!, 'utf8');
    assert.ok(index.indexOf('>new<') < index.indexOf('>old<') || index.indexOf('new') < index.indexOf('old'));
    assert.ok(index.includes('a&lt;b') && !index.includes('a<b'));
    assert.match(index, /Incomplete folders/);
    assert.equal((await readFile(join(root, 'LATEST'), 'utf8')).trim(), 'new');
    // a stale LATEST falls back to scanning
    await writeFile(join(root, 'LATEST'), 'gone\n');
    assert.equal(await latestRunDir(root), join(root, 'new'));
    assert.equal(await latestRunDir(join(root, 'nothing-here')), undefined);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

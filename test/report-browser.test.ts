import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { buildReport } from '../src/report/build-report.ts';
import { writeFakeRun } from './fixtures/fake-run.ts';

const CHROMIUM = '/usr/bin/chromium';
const ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

test('report.html opens from disk in Chromium with no console errors, no requests, every chart and picture drawn', {
  skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is absent (install it with: apt-get install -y chromium), so the browser test is skipped`,
  timeout: 60_000,
}, async () => {
  const { chromium } = await import('playwright-core');
  const root = await mkdtemp(join(tmpdir(), 'semisup-browser-'));
  const browser = await chromium.launch({ executablePath: CHROMIUM, args: ARGS });
  try {
    const runDir = join(root, 'run');
    await writeFakeRun(runDir);
    const { htmlPath } = await buildReport(runDir, { reportsRoot: false });
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    const problems: string[] = [];
    const requests: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`); });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    page.on('request', (r) => { if (!r.url().startsWith('file:') && !r.url().startsWith('data:')) requests.push(r.url()); });
    await page.goto(pathToFileURL(htmlPath).href, { waitUntil: 'load' });
    // evaluated in the page (as a string: the project's tsconfig has no DOM types)
    const facts = (await page.evaluate(`(() => ({
      charts: document.querySelectorAll('figure .chart > svg').length,
      images: [...document.querySelectorAll('figure img')].map((img) => img.naturalWidth),
      chartSizes: [...document.querySelectorAll('figure .chart > svg')].map((s) => s.getBoundingClientRect().width),
      scrollWidth: document.documentElement.scrollWidth,
      title: document.title,
    }))()`)) as { charts: number; images: number[]; chartSizes: number[]; scrollWidth: number; title: string };
    assert.deepEqual(problems, []);
    assert.deepEqual(requests, []);
    assert.equal(facts.charts, 8);
    assert.equal(facts.images.length, 1);
    assert.ok(facts.images[0] > 0, 'the reconstruction PNG did not decode');
    assert.ok(facts.chartSizes.every((w) => w > 100), 'a chart rendered with no width');
    assert.ok(facts.scrollWidth <= 1280, `page scrolls sideways (${facts.scrollWidth} px)`);
    assert.match(facts.title, /semisup report/);
  } finally {
    await browser.close();
    await rm(root, { recursive: true, force: true });
  }
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildReport } from '../src/report/build-report.ts';
import { inspectInChromium, skipWithoutChromium } from './fixtures/browser.ts';
import { writeFakeRun } from './fixtures/fake-run.ts';

test('report.html opens from disk in Chromium with no console errors, no requests, every chart and picture drawn', {
  skip: skipWithoutChromium,
  timeout: 60_000,
}, async () => {
  const root = await mkdtemp(join(tmpdir(), 'semisup-browser-'));
  try {
    const runDir = join(root, 'run');
    await writeFakeRun(runDir);
    const { htmlPath } = await buildReport(runDir, { reportsRoot: false });
    const facts = await inspectInChromium(htmlPath);
    assert.deepEqual(facts.problems, []);
    assert.deepEqual(facts.requests, []);
    assert.equal(facts.charts, 8);
    assert.equal(facts.images.length, 1);
    assert.ok(facts.images[0] > 0, 'the reconstruction PNG did not decode');
    assert.ok(facts.chartSizes.every((w) => w > 100), 'a chart rendered with no width');
    assert.ok(facts.scrollWidth <= 1280, `page scrolls sideways (${facts.scrollWidth} px)`);
    assert.match(facts.title, /semisup report/);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});

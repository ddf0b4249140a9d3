import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { UserError } from '../src/errors.ts';
import { buildReport } from '../src/report/build-report.ts';
import { writeReportsIndex } from '../src/report/index-page.ts';
import { replaceRunFolder } from '../src/report/run-folder.ts';
import { runCli, tempFolder } from './fixtures/cli.ts';
import { writeFakeRun } from './fixtures/fake-run.ts';
import { tinyCsvArgs, writeTinyCsv } from './fixtures/tiny-csv.ts';

/** Every file under a folder with its content, for "nothing changed" checks. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const entry of fs.readdirSync(dir, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile()) continue;
    const file = path.join(entry.parentPath ?? entry.path, entry.name);
    out[path.relative(dir, file)] = fs.readFileSync(file, 'latin1');
  }
  return out;
}

test('--out into a folder with files semisup did not write is refused before anything runs, and nothing in it changes (issue 15, case 1)', async () => {
  const cwd = tempFolder('out-foreign');
  writeTinyCsv(path.join(cwd, 't.csv'));
  fs.mkdirSync(path.join(cwd, 'mine'));
  fs.writeFileSync(path.join(cwd, 'mine', 'results.csv'), 'my own numbers\n');
  fs.writeFileSync(path.join(cwd, 'mine', 'notes.txt'), 'keep me\n');
  const before = snapshot(path.join(cwd, 'mine'));
  const result = await runCli('run.ts', [...tinyCsvArgs('t.csv'), '--out', 'mine'], cwd);
  assert.equal(result.code, 2, result.stderr);
  assert.equal(result.stderr.trim().split('\n').length, 1, result.stderr);
  assert.match(result.stderr, /--out mine is a folder with other files in it \(notes\.txt, results\.csv\), not a semisup run folder/);
  assert.doesNotMatch(result.stdout, /running/, 'it trained before refusing');
  assert.deepEqual(snapshot(path.join(cwd, 'mine')), before);
});

test('a semisup run folder with a file added by hand is neither rebuilt nor overwritten; the file survives (issue 15, case 1)', async () => {
  const cwd = tempFolder('out-added');
  const runDir = path.join(cwd, 'run');
  await writeFakeRun(runDir);
  await buildReport(runDir, { reportsRoot: false });
  fs.writeFileSync(path.join(runDir, 'figures', 'my-plot.png'), 'not semisup\'s');
  const before = snapshot(runDir);
  // npm run report: the "drop figures an earlier build wrote" loop used to delete every other .png
  await assert.rejects(buildReport(runDir, { reportsRoot: false }), (e: Error) =>
    e instanceof UserError && /figures\/my-plot\.png in it was not written by semisup and would be lost: move it out/.test(e.message));
  assert.deepEqual(snapshot(runDir), before);
  // the pipeline with --out
  writeTinyCsv(path.join(cwd, 't.csv'));
  const result = await runCli('run.ts', [...tinyCsvArgs('t.csv'), '--out', 'run'], cwd);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, /^error: --out run is a semisup run folder, but figures\/my-plot\.png/);
  assert.deepEqual(snapshot(runDir), before);
});

test('a run into an earlier run folder replaces it as a whole: nothing of the earlier run is left (issue 15, case 1)', async () => {
  const cwd = tempFolder('out-replace');
  const runDir = path.join(cwd, 'run');
  // an image run: it has pictures.json and a reconstructions.png that a table run does not write
  await writeFakeRun(runDir);
  await buildReport(runDir, { reportsRoot: false });
  assert.ok(fs.existsSync(path.join(runDir, 'figures', 'reconstructions.png')));
  writeTinyCsv(path.join(cwd, 't.csv'));
  const result = await runCli('run.ts', [...tinyCsvArgs('t.csv'), '--out', 'run'], cwd);
  assert.equal(result.code, 0, result.stderr);
  assert.ok(!fs.existsSync(path.join(runDir, 'pictures.json')), 'the earlier run\'s pictures.json survived');
  assert.ok(!fs.existsSync(path.join(runDir, 'figures', 'reconstructions.png')), 'the earlier run\'s picture survived');
  assert.match(fs.readFileSync(path.join(runDir, 'results.csv'), 'utf8'), /t\.csv/);
  assert.deepEqual(fs.readdirSync(cwd).filter((name) => name.startsWith('.tmp-')), [], 'a temporary folder was left beside it');
});

test('a failure while a run folder is rebuilt leaves the earlier folder byte for byte and no temporary behind (issue 15, case 5)', async () => {
  const cwd = tempFolder('replace-fail');
  const runDir = path.join(cwd, 'run');
  await writeFakeRun(runDir);
  await buildReport(runDir, { reportsRoot: false });
  const before = snapshot(runDir);
  const full = Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC', path: path.join(cwd, 'x') });
  await assert.rejects(replaceRunFolder(runDir, async (staging) => {
    fs.writeFileSync(path.join(staging, 'results.csv'), 'half');
    throw full;
  }), full);
  assert.deepEqual(snapshot(runDir), before);
  assert.deepEqual(fs.readdirSync(cwd), ['run']);
});

test('a run folder reached through a symlink is rebuilt where the link points; the link stays', async () => {
  const cwd = tempFolder('symlinked');
  const real = path.join(cwd, 'real-run');
  await writeFakeRun(real);
  fs.symlinkSync(real, path.join(cwd, 'link'));
  await buildReport(path.join(cwd, 'link'), { reportsRoot: false });
  assert.ok(fs.lstatSync(path.join(cwd, 'link')).isSymbolicLink());
  assert.ok(fs.existsSync(path.join(real, 'report.html')));
});

test('an index.html that semisup did not write is never overwritten', async () => {
  const root = tempFolder('index-foreign');
  await writeFakeRun(path.join(root, 'run-a'));
  fs.writeFileSync(path.join(root, 'index.html'), '<html>my site</html>');
  fs.writeFileSync(path.join(root, 'LATEST'), 'my\nnotes\n');
  assert.equal(await writeReportsIndex(root), undefined);
  assert.equal(fs.readFileSync(path.join(root, 'index.html'), 'utf8'), '<html>my site</html>');
  assert.equal(fs.readFileSync(path.join(root, 'LATEST'), 'utf8'), 'my\nnotes\n');
  // semisup's own index is refreshed as before
  fs.rmSync(path.join(root, 'index.html'));
  fs.rmSync(path.join(root, 'LATEST'));
  assert.equal(await writeReportsIndex(root), path.join(root, 'index.html'));
  assert.equal(await writeReportsIndex(root), path.join(root, 'index.html'));
  assert.equal(fs.readFileSync(path.join(root, 'LATEST'), 'utf8'), 'run-a\n');
});

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RESULT_COLUMNS, type ResultRow } from '../src/eval/results.ts';
import { UserError } from '../src/errors.ts';
import { readResultsCsv, readRunFiles, writeResultsCsv, writeRunFiles } from '../src/report/run-files.ts';
import { makeFakeRun } from './fixtures/fake-run.ts';

async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'semisup-runfiles-'));
}

test('results.csv round-trips every row and keeps RESULT_COLUMNS order', async () => {
  const dir = await tempDir();
  try {
    const { rows } = makeFakeRun();
    const odd: ResultRow = { ...rows[0], dataset: 'my "odd", data.csv', seed: 99, backend: '2024' };
    // Its pair: a results.csv holds one paired experiment.
    const all = [...rows, odd, { ...odd, arm: 'pretrained' as const }];
    const file = join(dir, 'results.csv');
    await writeResultsCsv(file, all);
    const text = await readFile(file, 'utf8');
    assert.equal(text.split('\n')[0], RESULT_COLUMNS.join(','));
    assert.equal(text.trim().split('\n').length, all.length + 1);
    const back = await readResultsCsv(file);
    assert.deepEqual(back, all);
    assert.equal(typeof back.at(-1)!.backend, 'string');
    // atomic write leaves no temp files behind
    assert.deepEqual(await readdir(dir), ['results.csv']);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readResultsCsv: missing file, missing column, bad number and unknown arm are one-line UserErrors', async () => {
  const dir = await tempDir();
  try {
    const file = join(dir, 'results.csv');
    await assert.rejects(readResultsCsv(file), (e: Error) => e instanceof UserError && /results\.csv is missing/.test(e.message));
    await writeFile(file, 'dataset,seed\nx,1\n');
    await assert.rejects(readResultsCsv(file), (e: Error) => e instanceof UserError && /missing column\(s\) fraction/.test(e.message));
    const header = RESULT_COLUMNS.join(',');
    await writeFile(file, `${header}\nx,1,0.01,80,baseline,abc,0.7,10,1,cpu,0.5\n`);
    await assert.rejects(readResultsCsv(file), (e: Error) => e instanceof UserError && /line 2 has accuracy = "abc"/.test(e.message));
    await writeFile(file, `${header}\nx,1,0.01,80,magic,0.5,0.7,10,1,cpu,0.5\n`);
    await assert.rejects(readResultsCsv(file), (e: Error) => e instanceof UserError && /unknown arm "magic"/.test(e.message) && !e.message.includes('\n'));
    await writeFile(file, `${header}\n`);
    await assert.rejects(readResultsCsv(file), (e: Error) => e instanceof UserError && /no result rows/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('valAccuracy may be empty (no validation set) or missing (a results.csv from before it existed): it reads as NaN', async () => {
  const dir = await tempDir();
  try {
    const file = join(dir, 'results.csv');
    const { rows } = makeFakeRun({ seeds: [1], fractions: [0.01] });
    await writeResultsCsv(file, rows.map((r) => ({ ...r, valAccuracy: NaN })));
    assert.ok((await readResultsCsv(file)).every((r) => Number.isNaN(r.valAccuracy)));
    const old = RESULT_COLUMNS.filter((c) => c !== 'valAccuracy');
    await writeFile(file, `${old.join(',')}\n${rows.map((r) => old.map((c) => r[c]).join(',')).join('\n')}\n`);
    const back = await readResultsCsv(file);
    assert.deepEqual(back.map((r) => r.accuracy), rows.map((r) => r.accuracy));
    assert.ok(back.every((r) => Number.isNaN(r.valAccuracy)));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writeRunFiles then readRunFiles gives back the same run', async () => {
  const dir = await tempDir();
  try {
    const files = makeFakeRun();
    await writeRunFiles(dir, files);
    assert.deepEqual((await readdir(dir)).sort(), ['confusion.json', 'curves.json', 'params.json', 'pictures.json', 'results.csv']);
    const back = await readRunFiles(dir);
    assert.deepEqual(back, files);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a NaN loss survives as NaN; a table run has no pictures', async () => {
  const dir = await tempDir();
  try {
    const table = makeFakeRun({ image: false });
    table.curves[0].epochs[3].loss = NaN;
    await writeRunFiles(dir, table);
    const back = await readRunFiles(dir);
    assert.equal(back.pictures, undefined);
    assert.ok(Number.isNaN(back.curves[0].epochs[3].loss));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('readRunFiles names the broken file and field', async () => {
  const dir = await tempDir();
  try {
    await writeRunFiles(dir, makeFakeRun());
    await writeFile(join(dir, 'params.json'), '{"runId": 3');
    await assert.rejects(readRunFiles(dir), (e: Error) => e instanceof UserError && /params\.json is not valid JSON/.test(e.message));
    const files = makeFakeRun();
    await writeRunFiles(dir, files);
    const bad = JSON.parse(await readFile(join(dir, 'params.json'), 'utf8'));
    bad.environment.cores = 'two';
    await writeFile(join(dir, 'params.json'), JSON.stringify(bad));
    await assert.rejects(readRunFiles(dir), (e: Error) => e instanceof UserError && /params\.json is invalid: environment\.cores/.test(e.message));
    await writeRunFiles(dir, files);
    await rm(join(dir, 'curves.json'));
    await assert.rejects(readRunFiles(dir), (e: Error) => e instanceof UserError && /curves\.json is missing/.test(e.message));
    await assert.rejects(readRunFiles(join(dir, 'nope')), (e: Error) => e instanceof UserError && /does not exist/.test(e.message));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('writers reject pipeline bugs (NaN accuracy, duplicate rows, wrong picture size) before touching disk', async () => {
  const dir = await tempDir();
  try {
    const files = makeFakeRun();
    await assert.rejects(writeResultsCsv(join(dir, 'r.csv'), [{ ...files.rows[0], accuracy: NaN }]), /accuracy = null/);
    await assert.rejects(writeResultsCsv(join(dir, 'r.csv'), [files.rows[0], files.rows[0]]), /two rows for seed/);
    files.pictures!.reconstruction.count = 17;
    await assert.rejects(writeRunFiles(dir, files), /pictures\.json: reconstruction\.originals\.length/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a results.csv with an unpaired row is refused instead of mixing unpaired means with the paired Δ (issue 15, case 3)', async () => {
  const dir = await tempDir();
  try {
    const files = makeFakeRun();
    const file = join(dir, 'results.csv');
    // seed 3's pretrained row at the smallest fraction is missing (a hand-edited or truncated file)
    await writeResultsCsv(file, files.rows);
    const lines = (await readFile(file, 'utf8')).split('\n');
    await writeFile(file, lines.filter((line) => !line.includes(',3,0.01,80,pretrained,')).join('\n'));
    await assert.rejects(readResultsCsv(file), (e: Error) => e instanceof UserError &&
      /at fraction 0\.01 \(80 labels\) seed 3 has a baseline row but no pretrained row, so the comparison would not be paired/.test(e.message) && !e.message.includes('\n'));
    // a row of an arm for a seed the baseline lacks is just as unpaired
    await assert.rejects(writeResultsCsv(file, [...files.rows, { ...files.rows[1], seed: 9 }]), /seed 9 has a pretrained row but no baseline row/);
    // no baseline at all: nothing to compare with
    await assert.rejects(writeResultsCsv(file, files.rows.filter((r) => r.arm !== 'baseline')), /no baseline rows/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('a results.csv with two fractions of the same label count is refused (issue 15, case 10)', async () => {
  const dir = await tempDir();
  try {
    const rows = makeFakeRun({ fractions: [0.01, 0.01001], seeds: [1, 2] }).rows;
    const file = join(dir, 'results.csv');
    await assert.rejects(writeResultsCsv(file, rows), /fractions 0\.01 and 0\.01001 both have 80 labels/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadCsvDataset, type CsvLoadOptions } from '../src/data/csv.ts';
import { labelCounts, UNLABELED } from '../src/data/dataset.ts';
import { UserError } from '../src/errors.ts';

let dir = '';
before(() => {
  dir = mkdtempSync(join(tmpdir(), 'semisup-csv-'));
});
after(() => rmSync(dir, { recursive: true, force: true }));

function csv(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

async function rejectsWith(file: string, options: CsvLoadOptions, problem: RegExp): Promise<void> {
  await assert.rejects(loadCsvDataset(file, options), (error: unknown) => {
    assert.ok(error instanceof UserError, String(error));
    assert.ok(error.message.startsWith(file), error.message);
    assert.match(error.message, problem);
    assert.ok(!error.message.includes('\n'));
    return true;
  });
}

test('CSV: string labels map to sorted class names; features row-major', async () => {
  const file = csv('iris.csv', 'a,b,species\n1,2,virginica\n3,4.5,setosa\n5,6,versicolor\n7,8,setosa\n\n');
  const ds = await loadCsvDataset(file, { labelColumn: 'species' });
  assert.equal(ds.name, 'iris.csv');
  assert.deepEqual(ds.inputShape, [2]);
  assert.deepEqual(ds.classNames, ['setosa', 'versicolor', 'virginica']);
  assert.deepEqual(Array.from(ds.y), [2, 0, 1, 0]);
  assert.deepEqual(Array.from(ds.x), [1, 2, 3, 4.5, 5, 6, 7, 8]);
  assert.equal(ds.officialTrainCount, undefined);
});

test('CSV: numeric labels sort numerically and the label column may be anywhere', async () => {
  const file = csv('num.csv', 'label,f\n10,1\n9,2\n10,3\n2,4\n');
  const ds = await loadCsvDataset(file, { labelColumn: 'label' });
  assert.deepEqual(ds.classNames, ['2', '9', '10']);
  assert.deepEqual(Array.from(ds.y), [2, 1, 2, 0]);
  assert.deepEqual(Array.from(ds.x), [1, 2, 3, 4]);
});

test('CSV: --drop-columns removes a text column', async () => {
  const file = csv('text.csv', 'id,name,f,g,y\n1,ann,0.5,1,yes\n2,bob,1.5,2,no\n3,cy,2.5,3,yes\n');
  await rejectsWith(file, { labelColumn: 'y' }, /column "name" is not numeric \(data row 1 holds "ann"\); drop it with --drop-columns "name"/);
  const ds = await loadCsvDataset(file, { labelColumn: 'y', dropColumns: ['name', 'id'] });
  assert.deepEqual(ds.inputShape, [2]);
  assert.deepEqual(Array.from(ds.x), [0.5, 1, 1.5, 2, 2.5, 3]);
  assert.deepEqual(ds.classNames, ['no', 'yes']);
  await rejectsWith(file, { labelColumn: 'y', dropColumns: ['nmae'] }, /--drop-columns names "nmae", which is not a column; available columns: "id", "name", "f", "g", "y"/);
});

test('CSV: missing values name the first row and column, or become NaN with impute mean', async () => {
  const file = csv('gaps.csv', 'f,g,h,c\n1,2,3,a\n4,5,,b\n7,NA,9,a\n10,11,12,b\n');
  await rejectsWith(file, { labelColumn: 'c' }, /missing value in data row 2, column "h"; fill the gaps or pass --impute mean/);
  const ds = await loadCsvDataset(file, { labelColumn: 'c', impute: 'mean' });
  assert.ok(Number.isNaN(ds.x[1 * 3 + 2]));
  assert.ok(Number.isNaN(ds.x[2 * 3 + 1]));
  assert.equal(ds.x[3 * 3 + 2], 12);
});

test('CSV: label column missing lists the available columns', async () => {
  const file = csv('nolabel.csv', 'f,g\n1,2\n3,4\n');
  await rejectsWith(file, { labelColumn: 'target' }, /no label column "target"; available columns: "f", "g" \(choose one with --label-column\)/);
});

test('CSV: a row with an empty label cell is unlabeled; its features are still required', async () => {
  const file = csv('partly.csv', 'f,g,c\n1,2,x\n3,4,\n5,6,y\n7,8,  \n9,10,x\n');
  const ds = await loadCsvDataset(file, { labelColumn: 'c' });
  assert.deepEqual(ds.classNames, ['x', 'y']);
  assert.deepEqual(Array.from(ds.y), [0, UNLABELED, 1, UNLABELED, 0]);
  assert.deepEqual(labelCounts(ds), { labeled: 3, unlabeled: 2 });
  assert.deepEqual(Array.from(ds.x.subarray(2, 4)), [3, 4]);
  // Numeric labels too (danfojs reads the empty cell as null).
  assert.deepEqual(Array.from((await loadCsvDataset(csv('numeric.csv', 'f,c\n1,0\n2,\n3,1\n'), { labelColumn: 'c' })).y), [0, UNLABELED, 1]);
  // Without --impute mean an empty feature cell stays an error, in an unlabeled row as anywhere.
  await rejectsWith(csv('gap.csv', 'f,g,c\n1,2,x\n3,,\n5,6,y\n'), { labelColumn: 'c' }, /missing value in data row 2, column "g"; fill the gaps or pass --impute mean/);
});

test('CSV: one class only, no label at all, a label that reads as missing, no rows, missing file', async () => {
  await rejectsWith(csv('one.csv', 'f,c\n1,x\n2,x\n'), { labelColumn: 'c' }, /only one class \("x"\); a classifier needs at least two/);
  await rejectsWith(csv('one-and-unlabeled.csv', 'f,c\n1,x\n2,\n'), { labelColumn: 'c' }, /only one class \("x"\)/);
  await rejectsWith(csv('nolabels.csv', 'f,c\n1,\n2,\n'), { labelColumn: 'c' }, /no row has a label in the column "c"/);
  await rejectsWith(csv('na.csv', 'f,c\n1,x\n2,NA\n3,y\n'), { labelColumn: 'c' }, /data row 2 has "NA" in the label column "c", which reads as a missing value: leave the cell empty to mark the row unlabeled/);
  await rejectsWith(csv('empty.csv', 'f,c\n'), { labelColumn: 'c' }, /no data rows/);
  await rejectsWith(join(dir, 'absent.csv'), { labelColumn: 'c' }, /not found/);
  await rejectsWith(csv('ragged.csv', 'f,g,c\n1,2,x\n3,y\n'), { labelColumn: 'c' }, /cannot parse as CSV/);
});

test('CSV: a value beyond float32 is refused by cell instead of training on Infinity', async () => {
  const file = csv('huge.csv', 'a,b,y\n1,2,x\n1e39,3,y\n2,3e38,x\n');
  await rejectsWith(file, { labelColumn: 'y' }, /column "a" data row 2 holds "?1e\+?39"?, beyond what a float32 holds/);
  const fits = await loadCsvDataset(csv('fits.csv', 'a,b,y\n1,2,x\n-3e38,3,y\n2,3e38,x\n'), { labelColumn: 'y' });
  assert.ok(Array.from(fits.x).every(Number.isFinite));
});

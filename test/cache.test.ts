import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cacheFilePath, datasetFingerprint, loadWithCache, readDatasetCache, sourceFingerprint, writeDatasetCache } from '../src/data/cache.ts';
import type { Dataset } from '../src/data/dataset.ts';
import { loadDatasetSource } from '../src/data/sources.ts';
import { makeIdxFolder } from './fixtures/idx-fixture.ts';

const image: Dataset = {
  name: 'img',
  x: Uint8Array.from({ length: 3 * 4 }, (_, i) => (i * 37) % 256),
  y: Int32Array.from([0, -1, 1]),
  inputShape: [2, 2, 1],
  classNames: ['a', 'b'],
  officialTrainCount: 2,
  warnings: ['b.png: skipped'],
};
const table: Dataset = { name: 'tab', x: Float32Array.from([0.1, -2, NaN, 3.25]), y: Int32Array.from([1, 0]), inputShape: [2], classNames: ['n', 'y'], featureNames: ['h', 'w'] };

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'semisup-cache-'));
}

test('cache round-trip: images as bytes, tables as float32 (NaN kept), fields intact (unlabeled rows, warnings, feature names)', async () => {
  const root = tempDir();
  try {
    for (const ds of [image, table]) {
      const file = cacheFilePath(root, ds.name, 'k');
      await writeDatasetCache(file, ds);
      const back = await readDatasetCache(file);
      assert.ok(back);
      assert.deepEqual(back, ds);
      assert.equal(datasetFingerprint(back), datasetFingerprint(ds));
    }
    const sizes = readdirSync(join(root, 'cache')).map((f) => readFileSync(join(root, 'cache', f)).length);
    assert.equal(readdirSync(join(root, 'cache')).length, 2, 'no temp files left');
    assert.ok(sizes.every((s) => s < 1000));
    // The image payload is 12 bytes of pixels, not 48 bytes of floats.
    const imgFile = readFileSync(cacheFilePath(root, 'img', 'k'));
    assert.ok(imgFile.length < readFileSync(cacheFilePath(root, 'tab', 'k')).length + 40);
    // Float32 pixels that are exact k/255 (an older loader's) are stored and read back as the same bytes.
    const asFloats: Dataset = { ...image, x: Float32Array.from(image.x, (k) => k / 255) };
    await writeDatasetCache(cacheFilePath(root, 'floats', 'k'), asFloats);
    assert.deepEqual((await readDatasetCache(cacheFilePath(root, 'floats', 'k')))?.x, image.x);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('cache: truncated, bit-flipped or garbage files are ignored', async () => {
  const root = tempDir();
  try {
    const file = cacheFilePath(root, 'img', 'k');
    await writeDatasetCache(file, image);
    const good = readFileSync(file);
    writeFileSync(file, good.subarray(0, good.length - 3));
    assert.equal(await readDatasetCache(file), undefined);
    const flipped = Buffer.from(good);
    flipped[flipped.length - 20] ^= 1;
    writeFileSync(file, flipped);
    assert.equal(await readDatasetCache(file), undefined);
    writeFileSync(file, 'not a cache');
    assert.equal(await readDatasetCache(file), undefined);
    assert.equal(await readDatasetCache(join(root, 'absent.bin')), undefined);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('loadWithCache decodes once, reuses, and recomputes after corruption or a source change', async () => {
  const root = tempDir();
  try {
    const src = join(root, 'source.txt');
    writeFileSync(src, 'v1');
    let decodes = 0;
    const notes: string[] = [];
    const load = () => loadWithCache({ dataRoot: root, name: 'img', sources: [src], params: { p: 1 }, decode: async () => (decodes++, image), onNote: (m) => notes.push(m) });
    const first = await load();
    assert.equal(first.fromCache, false);
    const second = await load();
    assert.equal(second.fromCache, true);
    assert.deepEqual(second.dataset, image);
    assert.equal(decodes, 1);
    writeFileSync(second.cacheFile, readFileSync(second.cacheFile).subarray(0, 40));
    const third = await load();
    assert.equal(third.fromCache, false);
    assert.equal(decodes, 2);
    assert.match(notes[0], /cache file is damaged/);
    assert.equal((await load()).fromCache, true);
    writeFileSync(src, 'v2');
    assert.equal((await load()).fromCache, false);
    assert.equal(decodes, 3);
    assert.notEqual(await sourceFingerprint([src], { p: 1 }), await sourceFingerprint([src], { p: 2 }));
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('datasetFingerprint is stable and sensitive to values, labels, shape and class names', () => {
  const base = datasetFingerprint(image);
  assert.match(base, /^[0-9a-f]{16}$/);
  assert.equal(datasetFingerprint({ ...image, name: 'renamed' }), base, 'the name is not part of the data');
  const x = Uint8Array.from(image.x);
  x[5] += 1;
  assert.notEqual(datasetFingerprint({ ...image, x }), base);
  // Values count, not how they are held: bytes hash as the float32 of byte/255.
  assert.equal(datasetFingerprint({ ...image, x: Float32Array.from(image.x, (k) => k / 255) }), base);
  const long = { ...image, x: Uint8Array.from({ length: 200_000 * 3 }, (_, i) => (i * 7) % 256), y: new Int32Array(3) };
  assert.equal(datasetFingerprint(long), datasetFingerprint({ ...long, x: Float32Array.from(long.x, (k) => k / 255) }), 'chunked like the whole');
  assert.notEqual(datasetFingerprint({ ...image, y: Int32Array.from([1, 1, 1]) }), base);
  assert.notEqual(datasetFingerprint({ ...image, inputShape: [4, 1, 1] }), base);
  assert.notEqual(datasetFingerprint({ ...image, classNames: ['b', 'a'] }), base);
  assert.notEqual(datasetFingerprint({ ...image, officialTrainCount: 1 }), base);
});

test('loadDatasetSource: an IDX folder goes through the cache and gives the same dataset', async () => {
  const root = tempDir();
  const f = makeIdxFolder({ gzip: true });
  try {
    const source = { kind: 'idx' as const, dir: f.dir, name: 'tiny' };
    const a = await loadDatasetSource(source, { dataRoot: root });
    const b = await loadDatasetSource(source, { dataRoot: root });
    assert.equal(a.fromCache, false);
    assert.equal(b.fromCache, true);
    assert.deepEqual(b.dataset, a.dataset);
    const named = loadDatasetSource({ kind: 'named', name: 'kmnist' }, { dataRoot: root });
    await assert.rejects(named, /kmnist: .* not found in .*datasets\/kmnist; .* or pass --download/);
  } finally {
    rmSync(root, { recursive: true, force: true });
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('loadDatasetSource: a CSV with gaps round-trips through the cache with its NaNs', async () => {
  const root = tempDir();
  try {
    const file = join(root, 'gaps.csv');
    writeFileSync(file, 'f,g,c\n1,,a\n2,3,b\n');
    const source = { kind: 'csv' as const, file, labelColumn: 'c', impute: 'mean' as const };
    const a = await loadDatasetSource(source, { dataRoot: root });
    const b = await loadDatasetSource(source, { dataRoot: root });
    assert.equal(b.fromCache, true);
    assert.deepEqual(b.dataset, a.dataset);
    assert.ok(Number.isNaN(b.dataset.x[1]));
    await assert.rejects(loadDatasetSource({ ...source, file: join(root, 'absent.csv') }, { dataRoot: root }), /absent\.csv: CSV file not found/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

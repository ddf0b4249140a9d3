import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, test } from 'node:test';
import { PNG } from 'pngjs';
import sharp from 'sharp';
import { labelCounts, UNLABELED } from '../src/data/dataset.ts';
import { decodeImageFolders, listImageFolders, type ImageFolderOptions } from '../src/data/images.ts';
import { loadDatasetSource } from '../src/data/sources.ts';
import { UserError } from '../src/errors.ts';
import { tempFolder } from './fixtures/cli.ts';
import { digitPng, writeImageFolder, type ImageFolderPaths } from './fixtures/image-folder.ts';

let root = '';
let folder: ImageFolderPaths;
before(async () => {
  root = tempFolder('images');
  folder = await writeImageFolder(path.join(root, 'photos'), { testPerClass: 3 });
});

const load = async (options: ImageFolderOptions) => decodeImageFolders(listImageFolders(options), options);

async function rejectsWithUserError(run: () => Promise<unknown>, problem: RegExp): Promise<void> {
  await assert.rejects(run, (error: unknown) => {
    assert.ok(error instanceof UserError, String((error as Error)?.stack ?? error));
    assert.match(error.message, problem);
    assert.ok(!error.message.includes('\n'), 'more than one line');
    return true;
  });
}

/** The 28×28 grey bytes of a PNG by an independent decoder (pngjs), to check sharp's decoding. */
function pngGrey(file: string): number[] {
  const png = PNG.sync.read(fs.readFileSync(file));
  return Array.from({ length: png.width * png.height }, (_, p) => png.data[p * 4]);
}

test('class folders become classes; PNGs and JPEGs of two sizes are resized to 28×28; the corrupt file is skipped with one warning', async () => {
  const data = await load({ dir: folder.dataDir });
  assert.deepEqual(data.classNames, ['one', 'two', 'zero']);
  assert.deepEqual(data.inputShape, [28, 28, 1]);
  assert.equal(data.name, 'labeled');
  assert.deepEqual(Array.from(data.y), [...Array(12).fill(0), ...Array(12).fill(1), ...Array(12).fill(2)]);
  assert.equal(data.officialTrainCount, undefined);
  const warnings = data.warnings ?? [];
  assert.equal(warnings.length, 2, warnings.join('\n'));
  assert.match(warnings[0], /2 different sizes \(28×28 \(18\), 32×32 \(18\)\), so all are resized to 28×28; choose the size with --image-size/);
  assert.match(warnings[1], /^1 of 37 image files could not be read and were skipped: \S*labeled\/zero\/broken\.png \(/);
  assert.ok(warnings.every((w) => !w.includes('\n')));
  // A 28×28 PNG keeps its exact bytes (first file of class "one": one/000.png, row 0).
  assert.ok(data.x instanceof Uint8Array, 'pixels stay bytes');
  assert.deepEqual(Array.from(data.x.subarray(0, 784)), pngGrey(path.join(folder.dataDir, 'one', '000.png')));
});

test('an unlabeled folder (any tree) adds unlabeled rows after the labeled ones; a test folder adds labeled test rows at the end', async () => {
  const data = await load({ dir: folder.dataDir, unlabeledDir: folder.unlabeledDir, testDir: folder.testDir });
  assert.deepEqual(labelCounts(data), { labeled: 36 + 9, unlabeled: 30 });
  assert.equal(data.officialTrainCount, 36 + 30);
  assert.ok(Array.from(data.y.subarray(36, 66)).every((label) => label === UNLABELED));
  assert.deepEqual(Array.from(data.y.subarray(66)), [0, 0, 0, 1, 1, 1, 2, 2, 2]);
  // The first unlabeled file in path order is batch1/u000.png.
  assert.deepEqual(Array.from(data.x.subarray(36 * 784, 37 * 784)), pngGrey(path.join(folder.unlabeledDir, 'batch1', 'u000.png')));
});

test('--image-size and --channels: 3 channels repeat a grey image; without --channels, one colour image makes every image RGB', async () => {
  const rgb = await load({ dir: folder.dataDir, imageSize: 16, channels: 3 });
  assert.deepEqual(rgb.inputShape, [16, 16, 3]);
  for (let p = 0; p < 16 * 16; p++) {
    assert.equal(rgb.x[p * 3], rgb.x[p * 3 + 1]);
    assert.equal(rgb.x[p * 3], rgb.x[p * 3 + 2]);
  }
  const tinted = await writeImageFolder(path.join(root, 'tinted'), { perClass: 4, unlabeled: 0, corrupt: false, colour: true });
  const colour = await load({ dir: tinted.dataDir });
  assert.deepEqual(colour.inputShape, [28, 28, 3]);
  const jpegRow = 2; // class "one": 000.png, 001.png, then 002.jpg in colour
  const [r, g, b] = colour.x.subarray(jpegRow * 2352 + (14 * 28 + 14) * 3);
  assert.ok(r > g && g > b, `not orange: ${r}, ${g}, ${b}`);
  assert.deepEqual((await load({ dir: tinted.dataDir, channels: 1 })).inputShape, [28, 28, 1]);
});

test('images that all share one size keep it, rectangular ones too; grey pictures stored as RGB (WebP) get one channel', async () => {
  const dir = path.join(root, 'wide');
  for (const [c, name] of ['a', 'b'].entries()) {
    fs.mkdirSync(path.join(dir, name), { recursive: true });
    for (let i = 0; i < 2; i++) {
      const pixels = Buffer.alloc(20 * 12, 40 + 100 * c + i);
      await sharp(pixels, { raw: { width: 20, height: 12, channels: 1 } }).toColourspace('b-w').webp({ lossless: true }).toFile(path.join(dir, name, `${i}.webp`));
    }
  }
  const data = await load({ dir });
  assert.deepEqual(data.inputShape, [12, 20, 1]);
  assert.deepEqual(data.warnings, undefined);
  assert.equal(data.x[20 * 12 * 3], 141);
});

test('the decoded images go through the dataset cache: reused when nothing changed, decoded again when a file did', async () => {
  const cacheRoot = path.join(root, 'cache');
  const source = { kind: 'images' as const, dir: folder.dataDir, unlabeledDir: folder.unlabeledDir };
  const first = await loadDatasetSource(source, { dataRoot: cacheRoot });
  const second = await loadDatasetSource(source, { dataRoot: cacheRoot });
  assert.equal(first.fromCache, false);
  assert.equal(second.fromCache, true);
  assert.deepEqual(second.dataset, first.dataset, 'the cached dataset (warnings included) differs');
  // Another size is another dataset.
  assert.equal((await loadDatasetSource({ ...source, imageSize: 14 }, { dataRoot: cacheRoot })).fromCache, false);
  // Changing one image's content, or moving an image to another class, misses the cache.
  const copy = path.join(root, 'copy');
  fs.cpSync(path.join(root, 'photos'), copy, { recursive: true });
  const copied = { ...source, dir: path.join(copy, 'labeled'), unlabeledDir: path.join(copy, 'unlabeled') };
  assert.equal((await loadDatasetSource(copied, { dataRoot: cacheRoot })).fromCache, true, 'a copy with the same names and contents should hit');
  const victim = path.join(copy, 'unlabeled', 'batch2', 'u001.png');
  fs.writeFileSync(victim, await digitPng(Buffer.alloc(784, 255)));
  assert.equal((await loadDatasetSource(copied, { dataRoot: cacheRoot })).fromCache, false);
  fs.renameSync(path.join(copy, 'labeled', 'one', '000.png'), path.join(copy, 'labeled', 'two', '000-moved.png'));
  const moved = await loadDatasetSource(copied, { dataRoot: cacheRoot });
  assert.equal(moved.fromCache, false);
  assert.deepEqual(labelCounts(moved.dataset), { labeled: 36, unlabeled: 30 });
});

test('bad folders: one line naming the folder and the fix', async () => {
  const make = (name: string, files: Record<string, string | Buffer>) => {
    const dir = path.join(root, 'bad', name);
    for (const [file, content] of Object.entries(files)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), content);
    }
    return dir;
  };
  const png = await digitPng(Buffer.alloc(784, 90));
  await rejectsWithUserError(() => load({ dir: make('loose', { 'a.png': png, 'b.png': png }) }), /has no class folders; its 2 images lie directly in it: put each class's images in a subfolder named after the class/);
  await rejectsWithUserError(() => load({ dir: make('single', { 'cat/a.png': png }) }), /has one class folder \("cat"\): a classifier needs at least two classes/);
  await rejectsWithUserError(() => load({ dir: make('empty-class', { 'cat/a.png': png, 'dog/notes.txt': 'x' }) }), /the class folder "dog" holds no images \(\.png, \.jpg, \.jpeg, \.webp\): add images of that class or remove the folder/);
  await rejectsWithUserError(() => load({ dir: make('unreadable-class', { 'cat/a.png': png, 'dog/b.png': 'garbage', 'dog/c.jpg': 'garbage' }) }), /class folder "dog": none of its 2 images could be read \(e\.g\. \S+dog\/b\.png: [^)]+\): replace them with PNG, JPEG or WebP files/);
  const good = make('good', { 'cat/a.png': png, 'dog/b.png': png });
  await rejectsWithUserError(() => load({ dir: good, unlabeledDir: make('no-unlabeled', { 'readme.txt': 'x', 'sub/.hidden.png': png }) }), /--unlabeled-dir \S+ holds no images \(\.png, \.jpg, \.jpeg, \.webp, in any subfolder\): add the unlabeled images or leave the option out/);
  await rejectsWithUserError(() => load({ dir: good, unlabeledDir: make('broken-unlabeled', { 'x.png': 'garbage' }) }), /--unlabeled-dir \S+: none of its 1 images could be read/);
  await rejectsWithUserError(() => load({ dir: good, testDir: make('test-unknown', { 'cat/a.png': png, 'dog/a.png': png, 'cow/a.png': png }) }), /--test-dir \S+: the folder "cow" is not a class of --data-dir \(cat, dog\): rename or remove it/);
  await rejectsWithUserError(() => load({ dir: good, testDir: make('test-missing', { 'cat/a.png': png }) }), /--test-dir \S+ has no folder for the class "dog": add \S+dog with test images of it/);
});

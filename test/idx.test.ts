import { test } from 'node:test';
import assert from 'node:assert/strict';
import { rmSync, writeFileSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { loadIdxDataset } from '../src/data/idx.ts';
import { UserError } from '../src/errors.ts';
import { idxImages, idxLabels, makeIdxFolder } from './fixtures/idx-fixture.ts';

for (const gzip of [true, false]) {
  test(`IDX folder (${gzip ? 'gz' : 'raw'}) loads train then test with exact k/255 pixels`, async () => {
    const f = makeIdxFolder({ gzip });
    try {
      const ds = await loadIdxDataset(f.dir, { name: 'tiny', classNames: ['a', 'b', 'c'] });
      assert.equal(ds.name, 'tiny');
      assert.deepEqual(ds.inputShape, [2, 3, 1]);
      assert.deepEqual(ds.classNames, ['a', 'b', 'c']);
      assert.equal(ds.officialTrainCount, 6);
      assert.deepEqual(Array.from(ds.y), [...f.trainLabels, ...f.testLabels]);
      assert.equal(ds.x.length, 9 * 6);
      assert.ok(ds.x instanceof Uint8Array, 'pixels stay bytes');
      assert.equal(ds.x[1 * 6 + 2], 12); // train image 1, pixel 2
      assert.equal(ds.x[6 * 6 + 0], 200); // first test image
    } finally {
      rmSync(f.dir, { recursive: true, force: true });
    }
  });
}

test('IDX class names default to 0..max label', async () => {
  const f = makeIdxFolder({ gzip: true });
  try {
    const ds = await loadIdxDataset(f.dir);
    assert.deepEqual(ds.classNames, ['0', '1', '2']);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

/** Expect a one-line UserError whose message names `file` and matches `problem`. */
async function rejectsWith(promise: Promise<unknown>, file: string, problem: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UserError, `expected UserError, got ${String(error)}`);
    assert.ok(error.message.includes(file), `message should name ${file}: ${error.message}`);
    assert.match(error.message, problem);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

const good = idxImages(6, 2, 3, () => 1);
const badCases: { title: string; file: string; bytes: Buffer; problem: RegExp; classNames?: string[] }[] = [
  { title: 'wrong magic (labels where images belong)', file: 'train-images-idx3-ubyte', bytes: idxLabels([0, 1, 2, 0, 1, 2]), problem: /magic number 2049.*expected 2051/ },
  { title: 'wrong magic (images where labels belong)', file: 't10k-labels-idx1-ubyte', bytes: idxImages(3, 2, 3, () => 0), problem: /magic number 2051.*expected 2049/ },
  { title: 'garbage magic', file: 'train-images-idx3-ubyte', bytes: Buffer.concat([Buffer.from([1, 2, 3, 4]), good.subarray(4)]), problem: /magic number .* expected 2051/ },
  { title: 'truncated image data', file: 'train-images-idx3-ubyte', bytes: good.subarray(0, good.length - 5), problem: /truncated.*header promises 52/ },
  { title: 'truncated header', file: 'train-labels-idx1-ubyte', bytes: idxLabels([0, 1]).subarray(0, 6), problem: /truncated.*header/ },
  { title: 'extra bytes', file: 't10k-images-idx3-ubyte', bytes: Buffer.concat([idxImages(3, 2, 3, () => 0), Buffer.from([9, 9])]), problem: /2 unexpected bytes/ },
  { title: 'zero-size header dims', file: 'train-images-idx3-ubyte', bytes: idxImages(6, 0, 3, () => 0), problem: /implausible image size 0×3/ },
  { title: 'empty file', file: 'train-labels-idx1-ubyte', bytes: Buffer.alloc(0), problem: /empty/ },
  { title: 'image and label counts differ', file: 'train-labels-idx1-ubyte', bytes: idxLabels([0, 1, 2, 0, 1]), problem: /5 labels but .* 6 images/ },
  { title: 'label out of range', file: 't10k-labels-idx1-ubyte', bytes: idxLabels([0, 7, 1]), problem: /label 7 at index 1 is outside 0\.\.2/, classNames: ['a', 'b', 'c'] },
  { title: 'one class only', file: 'train-labels-idx1-ubyte', bytes: idxLabels([0, 0, 0, 0, 0, 0]), problem: /one class only/ },
  { title: 'a class without training samples', file: 'train-labels-idx1-ubyte', bytes: idxLabels([0, 2, 2, 0, 2, 0]), problem: /no training sample has label 1/ },
  { title: 'test image size differs', file: 't10k-images-idx3-ubyte', bytes: idxImages(3, 3, 2, () => 0), problem: /3×2 but training images are 2×3/ },
];

for (const gzip of [true, false]) {
  for (const c of badCases) {
    test(`IDX bad input (${gzip ? 'gz' : 'raw'}): ${c.title}`, async () => {
      const f = makeIdxFolder({ gzip, overrides: { [c.file]: c.bytes } });
      try {
        await rejectsWith(loadIdxDataset(f.dir, { classNames: c.classNames }), c.file, c.problem);
      } finally {
        rmSync(f.dir, { recursive: true, force: true });
      }
    });
  }
}

test('IDX bad input: truncated gzip stream', async () => {
  const f = makeIdxFolder({ gzip: true });
  try {
    const gz = gzipSync(idxImages(6, 2, 3, (i, p) => i * 31 + p * 7));
    writeFileSync(join(f.dir, 'train-images-idx3-ubyte.gz'), gz.subarray(0, gz.length - 12));
    await rejectsWith(loadIdxDataset(f.dir), 'train-images-idx3-ubyte.gz', /gzip data is corrupt or truncated/);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

test('IDX bad input: a missing file is named with the folder', async () => {
  const f = makeIdxFolder({ gzip: true });
  try {
    unlinkSync(join(f.dir, 't10k-labels-idx1-ubyte.gz'));
    await rejectsWith(loadIdxDataset(f.dir), f.dir, /missing IDX file\(s\) t10k-labels-idx1-ubyte\[\.gz\]/);
    await rejectsWith(loadIdxDataset(join(f.dir, 'nope')), 'nope', /not a folder/);
  } finally {
    rmSync(f.dir, { recursive: true, force: true });
  }
});

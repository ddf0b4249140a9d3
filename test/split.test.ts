import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labeledSubset, makeSplit, validateSplitPlan, validationSubset, type LabelBudget } from '../src/data/split.ts';
import { UserError } from '../src/errors.ts';
import { loadEmbeddedMnist } from '../src/data/embedded.ts';
import { tinyImageDataset } from './fixtures/tiny-dataset.ts';

const digits = loadEmbeddedMnist();
const fractions: LabelBudget[] = [0.01, 0.05, 0.1].map((value) => ({ kind: 'fraction' as const, value }));

function classCounts(indices: Int32Array, y: Int32Array, k: number): number[] {
  const counts = new Array<number>(k).fill(0);
  for (const i of indices) counts[y[i]]++;
  return counts;
}

test('test and pool are disjoint, cover the dataset, and the test set is a stratified 20 %', () => {
  const split = makeSplit(digits, 1, 0.2);
  assert.equal(split.test.length + split.pool.length, digits.y.length);
  const inTest = new Set(split.test);
  for (const i of split.pool) assert.ok(!inTest.has(i));
  const testCounts = classCounts(split.test, digits.y, 10);
  const allCounts = classCounts(Int32Array.from(digits.y.keys()), digits.y, 10);
  testCounts.forEach((count, c) => assert.ok(Math.abs(count - 0.2 * allCounts[c]) <= 1, `class ${c}: ${count} of ${allCounts[c]}`));
});

test('labeled subsets are stratified, inside the pool, contain every class, and are nested', () => {
  const split = makeSplit(digits, 3, 0.2);
  const pool = new Set(split.pool);
  const subsets = fractions.map((budget) => labeledSubset(split, budget, digits.classNames));
  assert.deepEqual(subsets.map((s) => s.length), [80, 400, 800]);
  for (const subset of subsets) {
    for (const i of subset) assert.ok(pool.has(i), 'labeled index outside the pool');
    const counts = classCounts(subset, digits.y, 10);
    assert.ok(counts.every((count) => count > 0), `a class is missing: ${counts}`);
  }
  // 1 % of 8,000 is 8 per class (about: rounding per class).
  classCounts(subsets[0], digits.y, 10).forEach((count) => assert.ok(count >= 7 && count <= 9));
  for (let s = 1; s < subsets.length; s++) {
    const larger = new Set(subsets[s]);
    for (const i of subsets[s - 1]) assert.ok(larger.has(i), 'subsets are not nested');
  }
});

test('the same seed gives the same indices; another seed gives others', () => {
  const a = makeSplit(digits, 5, 0.2);
  const b = makeSplit(digits, 5, 0.2);
  const c = makeSplit(digits, 6, 0.2);
  assert.deepEqual(a.test, b.test);
  assert.deepEqual(labeledSubset(a, fractions[0], digits.classNames), labeledSubset(b, fractions[0], digits.classNames));
  assert.notDeepEqual(a.test, c.test);
});

test('per-class budgets give exactly that many per class', () => {
  const split = makeSplit(digits, 1, 0.2);
  const subset = labeledSubset(split, { kind: 'perClass', value: 10 }, digits.classNames);
  assert.deepEqual(classCounts(subset, digits.y, 10), new Array(10).fill(10));
});

test('a fraction too small for every class is a UserError that names the smallest that works', () => {
  const tiny = tinyImageDataset(30, 4);
  let suggested = NaN;
  assert.throws(() => validateSplitPlan(tiny, 0.2, [{ kind: 'fraction', value: 0.01 }]), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.ok(!error.message.includes('\n'));
    const match = /smallest fraction that gives every class one is ([0-9.]+)/.exec(error.message);
    assert.ok(match, error.message);
    suggested = Number(match[1]);
    return true;
  });
  // The suggestion works, and is tight: a bit less does not.
  validateSplitPlan(tiny, 0.2, [{ kind: 'fraction', value: suggested }]);
  assert.throws(() => validateSplitPlan(tiny, 0.2, [{ kind: 'fraction', value: suggested * 0.9 }]), UserError);
  assert.throws(() => validateSplitPlan(tiny, 0.2, [{ kind: 'perClass', value: 50 }]), /at most 24/);
});

test('official test sets are kept: the pool is the training part', () => {
  const tiny = { ...tinyImageDataset(10, 2), officialTrainCount: 15 };
  const split = makeSplit(tiny, 1, 0.2);
  assert.deepEqual(Array.from(split.pool), Array.from({ length: 15 }, (_, i) => i));
  assert.deepEqual(Array.from(split.test), [15, 16, 17, 18, 19]);
});

test('the validation set: K per class from the pool, disjoint from the test set and from every labeled subset, the same whatever the budgets', () => {
  const split = makeSplit(digits, 2, 0.2);
  const validation = validationSubset(split, 5);
  assert.deepEqual(classCounts(validation, digits.y, 10), new Array(10).fill(5));
  const pool = new Set(split.pool);
  const test = new Set(split.test);
  for (const i of validation) assert.ok(pool.has(i) && !test.has(i), `validation row ${i} is not an unlabeled pool row`);
  const held = new Set(validation);
  for (const budget of [...fractions, { kind: 'perClass' as const, value: 100 }]) {
    const labeled = labeledSubset(split, budget, digits.classNames, 5);
    for (const i of labeled) assert.ok(!held.has(i), `${budget.kind} ${budget.value}: row ${i} is both labeled and validation`);
    // Holding validation back moves no labeled example: the subsets are those of a run without it.
    assert.deepEqual(labeled, labeledSubset(split, budget, digits.classNames));
  }
  assert.deepEqual(validationSubset(makeSplit(digits, 2, 0.2), 5), validation, 'seeded');
  assert.equal(validationSubset(split, 0).length, 0);
});

test('budgets that would reach the validation examples are one-line UserErrors that say what works', () => {
  const tiny = tinyImageDataset(30, 4);
  // 24 pool examples per class; with 5 held for validation, at most 19 can be labeled.
  validateSplitPlan(tiny, 0.2, [{ kind: 'perClass', value: 19 }], 5);
  assert.throws(() => validateSplitPlan(tiny, 0.2, [{ kind: 'perClass', value: 20 }], 5), /besides its 5 validation examples \(19\): give at most 19 or lower --validation\.$/);
  assert.throws(() => validateSplitPlan(tiny, 0.2, [{ kind: 'fraction', value: 1 }], 5), (error: unknown) => error instanceof UserError
    && /^--labeled 1 needs 24 labeled examples of class "c\d", but the pool has 19 besides its 5 validation examples: give a smaller fraction or lower --validation\.$/.test(error.message));
  validateSplitPlan(tiny, 0.2, [{ kind: 'fraction', value: 1 }], 0);
});

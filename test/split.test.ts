import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { labeledSubset, makeSplit, splitCounts, validateSplitPlan, validationSubset, type LabelBudget } from '../src/data/split.ts';
import { UNLABELED } from '../src/data/dataset.ts';
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

/** The tiny dataset with every `every`-th example of each class unlabeled. */
function withUnlabeledRows(every: number, perClass = 30, classes = 4) {
  const base = tinyImageDataset(perClass, classes);
  const y = Int32Array.from(base.y, (label, i) => (Math.floor(i / classes) % every === 0 ? UNLABELED : label));
  return { ...base, y };
}

test('unlabeled rows go to the pool only: never to the test set or a labeled subset', () => {
  const data = withUnlabeledRows(3);
  const unlabeled = Array.from(data.y.keys()).filter((i) => data.y[i] === UNLABELED);
  for (const seed of [1, 2, 3]) {
    const split = makeSplit(data, seed, 0.2);
    const pool = new Set(split.pool);
    assert.equal(split.test.length + split.pool.length, data.y.length);
    for (const i of unlabeled) assert.ok(pool.has(i), `unlabeled row ${i} is not in the pool`);
    for (const i of split.test) assert.notEqual(data.y[i], UNLABELED, 'an unlabeled row in the test set');
    const everything = labeledSubset(split, { kind: 'fraction', value: 1 }, data.classNames);
    for (const i of everything) assert.notEqual(data.y[i], UNLABELED, 'an unlabeled row in a labeled subset');
    // Fraction 1 (--labeled all) is every labeled pool row; the counts say so.
    const labeledInPool = split.pool.filter((i) => data.y[i] !== UNLABELED).length;
    assert.equal(everything.length, labeledInPool);
    assert.deepEqual(splitCounts(data, split), { labeledSize: labeledInPool, unlabeledSize: unlabeled.length });
  }
});

test('with unlabeled rows, the test set is a stratified share of each class\'s labeled rows and fractions count labeled rows', () => {
  const data = withUnlabeledRows(2, 40, 4); // 20 labeled rows per class
  const split = makeSplit(data, 4, 0.25);
  assert.deepEqual(classCounts(split.test, data.y, 4), [5, 5, 5, 5]);
  // Half of the 60 labeled pool rows, not half of the 140-row pool.
  assert.equal(labeledSubset(split, { kind: 'fraction', value: 0.5 }, data.classNames).length, 30);
  assert.throws(() => validateSplitPlan(data, 0.25, [{ kind: 'perClass', value: 16 }]), /at most 15/);
});

test('the fully labeled split is unchanged by the unlabeled-row logic (same seed, same indices)', () => {
  const split = makeSplit(digits, 1, 0.2);
  // Recorded from the split before unlabeled rows existed: the default run's numbers depend on it.
  const digest = createHash('sha256').update(JSON.stringify({ t: Array.from(split.test), p: Array.from(split.pool), o: split.poolOrderByClass.map((m) => Array.from(m)) })).digest('hex');
  assert.equal(digest, '03810dd17b5a86dd58be8fde054b495ea960fa73b9b1ab68950ddb75bd2fefc7');
});

test('too few labeled examples: none at all, or a class too small for the test set, is one line naming the fix', () => {
  const none = { ...tinyImageDataset(10, 2), y: new Int32Array(20).fill(UNLABELED) };
  assert.throws(() => validateSplitPlan(none, 0.2, [{ kind: 'fraction', value: 1 }]), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /no example has a label; label at least a few examples of every class/);
    return true;
  });
  const data = tinyImageDataset(10, 3);
  const y = Int32Array.from(data.y, (label, i) => (label === 2 && i > 5 ? UNLABELED : label)); // class c2 keeps 2 labels
  const budget = [{ kind: 'perClass' as const, value: 1 }];
  assert.throws(() => validateSplitPlan({ ...data, y }, 0.2, budget), (error: unknown) => {
    assert.ok(error instanceof UserError);
    assert.match(error.message, /class "c2" gets no labeled example in the test set with --test-fraction 0.2: give --test-fraction between 0.25 and 0.74 \(the smallest class has 2 examples\), or label more examples of it\.$/);
    assert.ok(!error.message.includes('\n'));
    return true;
  });
  validateSplitPlan({ ...data, y }, 0.4, budget); // round(0.8) = 1 test example, 1 to train: enough
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
  assert.throws(() => validateSplitPlan(tiny, 0.2, [{ kind: 'fraction', value: 0.9 }], 5), (error: unknown) => error instanceof UserError
    && /^--labeled 0.9 needs 2\d labeled examples of class "c\d", but the pool has 19 besides its 5 validation examples: give a smaller fraction or lower --validation\.$/.test(error.message));
  // --labeled all (1) is every labeled example besides the validation ones.
  const split = makeSplit(tiny, 0, 0.2);
  assert.equal(labeledSubset(split, { kind: 'fraction', value: 1 }, tiny.classNames, 5).length, 4 * 19);
  validateSplitPlan(tiny, 0.2, [{ kind: 'fraction', value: 1 }], 0);
});

/** A dataset of `sizes[c]` examples of class c (8×8 images, values irrelevant here). */
function sizedDataset(sizes: number[]) {
  const y = Int32Array.from(sizes.flatMap((n, c) => new Array<number>(n).fill(c)));
  return { name: 'sized', x: new Float32Array(y.length * 64), y, inputShape: [8, 8, 1], classNames: sizes.map((_, c) => `c${c}`) };
}

function userErrorMessage(fn: () => unknown): string {
  let message = '';
  assert.throws(fn, (error: unknown) => {
    assert.ok(error instanceof UserError, String(error));
    assert.ok(!error.message.includes('\n'));
    message = error.message;
    return true;
  });
  return message;
}

test('a class with no example left in the pool stops the run, whatever the budget (issue 15, case 2)', () => {
  // one row of class c3: --test-fraction 0.9 puts it in the test set and leaves the pool without it
  const oneRow = sizedDataset([40, 40, 40, 1]);
  for (const budget of [{ kind: 'fraction' as const, value: 0.5 }, { kind: 'perClass' as const, value: 1 }]) {
    const message = userErrorMessage(() => validateSplitPlan(oneRow, 0.9, [budget]));
    assert.match(message, /class "c3" has only 1 labeled example: a class needs at least 2/);
    assert.doesNotMatch(message, /at most 0/);
  }
  // with two rows the advice names --test-fraction values that work, and they do
  const twoRows = sizedDataset([40, 40, 40, 2]);
  const message = userErrorMessage(() => validateSplitPlan(twoRows, 0.9, [{ kind: 'perClass', value: 1 }]));
  const range = /give --test-fraction between ([0-9.]+) and ([0-9.]+)/.exec(message);
  assert.ok(range, message);
  for (const testFraction of [Number(range[1]), Number(range[2])]) validateSplitPlan(twoRows, testFraction, [{ kind: 'perClass', value: 1 }]);
  // the old advice for an empty test side ("raise --test-fraction") led into the empty pool; this one does not
  assert.match(userErrorMessage(() => validateSplitPlan(twoRows, 0.1, [{ kind: 'perClass', value: 1 }])), /gets no labeled example in the test set with --test-fraction 0\.1: give --test-fraction between/);
  // an official test set cannot be fixed with --test-fraction: say which file lacks the class
  const y = Int32Array.from([0, 1, 0, 1, 0, 1, 0, 1, /* test: */ 0, 1, 2]);
  const official = { name: 'official', x: new Float32Array(y.length * 64), y, inputShape: [8, 8, 1], classNames: ['c0', 'c1', 'c2'], officialTrainCount: 8 };
  assert.match(userErrorMessage(() => validateSplitPlan(official, 0.2, [{ kind: 'perClass', value: 1 }])), /class "c2" has no example in the training file/);
});

test('two fractions that give the same label count are refused: one experiment would be reported twice (issue 15, case 10)', () => {
  const message = userErrorMessage(() => validateSplitPlan(digits, 0.2, [{ kind: 'fraction', value: 0.01 }, { kind: 'fraction', value: 0.01001 }]));
  assert.match(message, /--labeled 0\.01 and 0\.01001 both give 80 labels of the 8,000-example pool/);
  validateSplitPlan(digits, 0.2, [{ kind: 'fraction', value: 0.01 }, { kind: 'fraction', value: 0.0102 }]);
});

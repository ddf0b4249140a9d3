/**
 * Seeded, stratified splits: a held-out test set, the unlabeled pool (every
 * training index), and nested labeled subsets of the pool, one per label
 * budget. Same seed ⇒ same indices. Rows without a label (UNLABELED) only
 * ever join the pool: the test set and the labeled subsets come from the
 * labeled rows, so budgets count the labeled examples available.
 */
import { UserError } from '../errors.ts';
import { createRng, deriveSeed, shuffleInPlace } from '../util/rng.ts';
import { labelCounts, UNLABELED, type Dataset } from './dataset.ts';

/** How many labels a classifier gets: a fraction of the pool, or a count per class. */
export type LabelBudget = { kind: 'fraction'; value: number } | { kind: 'perClass'; value: number };

export interface Split {
  seed: number;
  /** Held out before anything else; used only for the final evaluation. */
  test: Int32Array;
  /** Every training index, labeled or not; pretraining uses these without their labels. */
  pool: Int32Array;
  /**
   * The pool's labeled indices of each class in a seeded order. Every labeled subset
   * takes a prefix of each class's order, which makes subsets nested and lets
   * new budgets reuse a stored split.
   */
  poolOrderByClass: Int32Array[];
}

/** The budgets a config asks for, as a list (fractions or per-class counts). */
export function budgetsOf(config: { labeled: number[]; labelsPerClass: number[] }): LabelBudget[] {
  return config.labelsPerClass.length > 0
    ? config.labelsPerClass.map((value) => ({ kind: 'perClass' as const, value }))
    : config.labeled.map((value) => ({ kind: 'fraction' as const, value }));
}


/** Indices of each class, in ascending index order (unlabeled indices are left out). */
function indicesByClass(y: Int32Array, indices: ArrayLike<number>, classCount: number): number[][] {
  const byClass: number[][] = Array.from({ length: classCount }, () => []);
  for (let i = 0; i < indices.length; i++) if (y[indices[i]] !== UNLABELED) byClass[y[indices[i]]].push(indices[i]);
  return byClass;
}

/**
 * How many labeled examples each class gets under a budget; throws a
 * UserError naming a budget that works. A fraction f takes the first
 * round(f·N) places of one stratified sequence of the pool, in which class c's
 * i-th example stands at (i + ½) / n_c: so the total is exact, each class gets
 * its share within one, and a larger fraction always contains a smaller one.
 * `reserve` examples of each class are kept for validation and never labeled.
 */
export function labeledCountsPerClass(budget: LabelBudget, poolClassSizes: number[], classNames: string[], reserve = 0): number[] {
  const besides = reserve > 0 ? ` besides its ${reserve} validation examples` : '';
  const orLower = reserve > 0 ? ' or lower --validation' : '';
  if (budget.kind === 'perClass') {
    const smallest = Math.min(...poolClassSizes);
    const available = smallest - reserve;
    if (budget.value > available) {
      const c = poolClassSizes.indexOf(smallest);
      throw new UserError(`--labels-per-class ${budget.value} is more than class "${classNames[c]}" has in the pool${besides} (${Math.max(0, available)}): give at most ${Math.max(0, available)}${orLower}.`);
    }
    return poolClassSizes.map(() => budget.value);
  }
  // --labeled all (1): every labeled example that is not held back for validation.
  if (budget.value === 1) return poolClassSizes.map((size) => Math.max(0, size - reserve));
  const sequence = stratifiedSequence(poolClassSizes);
  const total = Math.min(sequence.length, Math.round(budget.value * sequence.length));
  const counts = new Array<number>(poolClassSizes.length).fill(0);
  for (let i = 0; i < total; i++) counts[sequence[i]]++;
  const empty = counts.findIndex((k, c) => k === 0 && poolClassSizes[c] > 0);
  if (empty >= 0) {
    // Every class is present once the prefix reaches the last class's first place.
    const lastFirst = Math.max(...poolClassSizes.map((_, c) => sequence.indexOf(c)));
    const smallestWorking = ceilSignificant((lastFirst + 0.5) / sequence.length, 2);
    throw new UserError(
      `--labeled ${budget.value} gives class "${classNames[empty]}" no labeled example: the smallest fraction that gives every class one is ${smallestWorking} (or use --labels-per-class 1).`,
    );
  }
  const short = counts.findIndex((k, c) => k > poolClassSizes[c] - reserve);
  if (short >= 0) {
    throw new UserError(`--labeled ${budget.value} needs ${counts[short]} labeled examples of class "${classNames[short]}", but the pool has ${Math.max(0, poolClassSizes[short] - reserve)}${besides}: give a smaller fraction${orLower}.`);
  }
  return counts;
}

/** The class of each place in the stratified sequence (see labeledCountsPerClass). */
function stratifiedSequence(poolClassSizes: number[]): Int32Array {
  const places: { key: number; c: number }[] = [];
  poolClassSizes.forEach((n, c) => { for (let i = 0; i < n; i++) places.push({ key: (i + 0.5) / n, c }); });
  places.sort((a, b) => a.key - b.key || a.c - b.c);
  return Int32Array.from(places, (p) => p.c);
}

function ceilSignificant(value: number, digits: number): number {
  const scale = 10 ** (digits - 1 - Math.floor(Math.log10(value)));
  return Math.ceil(value * scale) / scale;
}

function floorSignificant(value: number, digits: number): number {
  const scale = 10 ** (digits - 1 - Math.floor(Math.log10(value)));
  return Math.floor(value * scale) / scale;
}

function sortedInt32(values: number[]): Int32Array {
  return Int32Array.from(values).sort();
}

/**
 * Split a dataset for one seed. Datasets with an official test set keep it;
 * others get a stratified test set of `testFraction` of each class's labeled
 * rows. Unlabeled rows all go to the pool.
 */
export function makeSplit(dataset: Dataset, seed: number, testFraction: number): Split {
  const classCount = dataset.classNames.length;
  const n = dataset.y.length;
  const rng = createRng(deriveSeed(seed, 'split'));
  let test: number[] = [];
  let pool: number[] = [];
  if (dataset.officialTrainCount !== undefined) {
    for (let i = 0; i < n; i++) {
      if (i < dataset.officialTrainCount) pool.push(i);
      else if (dataset.y[i] !== UNLABELED) test.push(i);
    }
  } else {
    const all = Array.from({ length: n }, (_, i) => i);
    for (const members of indicesByClass(dataset.y, all, classCount)) {
      shuffleInPlace(members, rng);
      const testCount = Math.round(testFraction * members.length);
      test = test.concat(members.slice(0, testCount));
      pool = pool.concat(members.slice(testCount));
    }
    for (let i = 0; i < n; i++) if (dataset.y[i] === UNLABELED) pool.push(i);
  }
  const poolOrderByClass = indicesByClass(dataset.y, sortedInt32(pool), classCount).map((members) => Int32Array.from(shuffleInPlace(members, rng)));
  return { seed, test: sortedInt32(test), pool: sortedInt32(pool), poolOrderByClass };
}

/** The labeled subset of the pool for one budget (sorted indices); stratified and nested across budgets, never touching the `reserve` validation examples. */
export function labeledSubset(split: Split, budget: LabelBudget, classNames: string[], reserve = 0): Int32Array {
  const counts = labeledCountsPerClass(budget, split.poolOrderByClass.map((members) => members.length), classNames, reserve);
  const chosen: number[] = [];
  split.poolOrderByClass.forEach((members, c) => { for (let i = 0; i < counts[c]; i++) chosen.push(members[i]); });
  return sortedInt32(chosen);
}

/** A dataset without a single label cannot be split into a test set and labeled subsets. */
export function checkSomeLabels(dataset: Dataset): void {
  if (labelCounts(dataset).labeled === 0) {
    throw new UserError(`dataset ${dataset.name}: no example has a label; label at least a few examples of every class (the test set and the labeled subsets come from them).`);
  }
}

/**
 * The validation examples of a split: the last `perClass` places of each
 * class's seeded pool order (sorted indices). Labeled subsets are prefixes of
 * the same orders and may not reach them, so validation is disjoint from every
 * labeled subset and from the test set, for every budget, and adding a budget
 * never moves it. Their images stay in the unlabeled pool, like any image.
 */
export function validationSubset(split: Split, perClass: number): Int32Array {
  if (perClass <= 0) return new Int32Array(0);
  const chosen: number[] = [];
  for (const members of split.poolOrderByClass) for (let i = Math.max(0, members.length - perClass); i < members.length; i++) chosen.push(members[i]);
  return sortedInt32(chosen);
}

/**
 * Check, before any work starts, that the experiment asked for is the one
 * that will run: every class has examples in the test set, in the pool and in
 * every labeled subset (besides its `validation` examples), and no two budgets
 * give the same labeled set. The advice in each message is one that works.
 */
export function validateSplitPlan(dataset: Dataset, testFraction: number, budgets: LabelBudget[], validation = 0): void {
  checkSomeLabels(dataset);
  const split = makeSplit(dataset, 0, testFraction);
  const k = dataset.classNames.length;
  // Labeled examples only: unlabeled rows (y = UNLABELED) belong to the pool but to no class.
  const classCounts = (indices: Int32Array) => {
    const counts = new Array<number>(k).fill(0);
    for (const i of indices) if (dataset.y[i] !== UNLABELED) counts[dataset.y[i]]++;
    return counts;
  };
  const testCounts = classCounts(split.test);
  const poolCounts = classCounts(split.pool);
  for (let c = 0; c < k; c++) {
    if (testCounts[c] > 0 && poolCounts[c] > 0) continue;
    const name = `dataset ${dataset.name}: class "${dataset.classNames[c]}"`;
    const side = testCounts[c] === 0 ? 'test set' : 'pool';
    if (dataset.officialTrainCount !== undefined) {
      const file = testCounts[c] === 0 ? 'test' : 'training';
      throw new UserError(`${name} has no example in the ${file} file, so the ${side} lacks it: every class needs examples in both files.`);
    }
    const total = testCounts[c] + poolCounts[c];
    if (total < 2) {
      throw new UserError(`${name} has ${total === 0 ? 'no labeled example' : 'only 1 labeled example'}: a class needs at least 2 (one for the test set, one to train on); label more examples of it or remove its rows.`);
    }
    throw new UserError(`${name} gets no labeled example in the ${side} with --test-fraction ${testFraction}: ${workingTestFractions(testCounts, poolCounts)}, or label more examples of it.`);
  }
  const sizes = new Map<number, LabelBudget>();
  for (const budget of budgets) {
    const size = labeledSubset(split, budget, dataset.classNames, validation).length;
    const same = sizes.get(size);
    if (same) {
      throw new UserError(`--labeled ${same.value} and ${budget.value} both give ${size} labels of the ${split.pool.length.toLocaleString('en-US')}-example pool, so they would run the same experiment twice: drop one of them.`);
    }
    sizes.set(size, budget);
  }
}

/** Advice for --test-fraction: the range that leaves every class at least one test and one pool example. */
function workingTestFractions(testCounts: number[], poolCounts: number[]): string {
  // A class of n examples gets round(f·n) test examples: at least 1 and at most n − 1 for f in [0.5/n, 1 − 0.5/n).
  const smallest = Math.min(...testCounts.map((t, c) => t + poolCounts[c]));
  const low = ceilSignificant(0.5 / smallest, 2);
  const high = floorSignificant(1 - 0.5 / smallest - 1e-9, 2);
  return `give --test-fraction between ${low} and ${high} (the smallest class has ${smallest} examples)`;
}

/** How many labeled and unlabeled examples a split's pool holds (the report says both). */
export function splitCounts(dataset: Pick<Dataset, 'y'>, split: Split): { labeledSize: number; unlabeledSize: number } {
  const labeledSize = split.poolOrderByClass.reduce((sum, members) => sum + members.length, 0);
  return { labeledSize, unlabeledSize: split.pool.length - labeledSize };
}

/** JSON form of a split for the artifact store. */
export function splitToJson(split: Split): string {
  return JSON.stringify({ seed: split.seed, test: Array.from(split.test), pool: Array.from(split.pool), poolOrderByClass: split.poolOrderByClass.map((m) => Array.from(m)) });
}

export function splitFromJson(text: string): Split {
  const raw = JSON.parse(text) as { seed: number; test: number[]; pool: number[]; poolOrderByClass: number[][] };
  return { seed: raw.seed, test: Int32Array.from(raw.test), pool: Int32Array.from(raw.pool), poolOrderByClass: raw.poolOrderByClass.map((m) => Int32Array.from(m)) };
}

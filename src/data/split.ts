/**
 * Seeded, stratified splits: a held-out test set, the unlabeled pool (every
 * training index), and nested labeled subsets of the pool, one per label
 * budget. Same seed ⇒ same indices.
 */
import { UserError } from '../errors.ts';
import { createRng, deriveSeed, shuffleInPlace } from '../util/rng.ts';
import type { Dataset } from './dataset.ts';

/** How many labels a classifier gets: a fraction of the pool, or a count per class. */
export type LabelBudget = { kind: 'fraction'; value: number } | { kind: 'perClass'; value: number };

export interface Split {
  seed: number;
  /** Held out before anything else; used only for the final evaluation. */
  test: Int32Array;
  /** Every training index; pretraining uses these without their labels. */
  pool: Int32Array;
  /** One labeled subset of the pool per budget, in the order the budgets were given. Nested: smaller ⊂ larger. */
  labeled: Int32Array[];
  budgets: LabelBudget[];
}

/** The budgets a config asks for, as a list (fractions or per-class counts). */
export function budgetsOf(config: { labeled: number[]; labelsPerClass: number[] }): LabelBudget[] {
  return config.labelsPerClass.length > 0
    ? config.labelsPerClass.map((value) => ({ kind: 'perClass' as const, value }))
    : config.labeled.map((value) => ({ kind: 'fraction' as const, value }));
}

/** Human-readable budget, e.g. "1 %" or "10 per class". */
export function describeBudget(budget: LabelBudget): string {
  return budget.kind === 'fraction' ? `${+(budget.value * 100).toPrecision(4)} %` : `${budget.value} per class`;
}

/** Indices of each class, in ascending index order. */
function indicesByClass(y: Int32Array, indices: ArrayLike<number>, classCount: number): number[][] {
  const byClass: number[][] = Array.from({ length: classCount }, () => []);
  for (let i = 0; i < indices.length; i++) byClass[y[indices[i]]].push(indices[i]);
  return byClass;
}

/** How many labeled examples each class gets under a budget; throws a UserError naming a budget that works. */
export function labeledCountsPerClass(budget: LabelBudget, poolClassSizes: number[], classNames: string[]): number[] {
  if (budget.kind === 'perClass') {
    const smallest = Math.min(...poolClassSizes);
    if (budget.value > smallest) {
      const c = poolClassSizes.indexOf(smallest);
      throw new UserError(`--labels-per-class ${budget.value} is more than class "${classNames[c]}" has in the pool (${smallest}): give at most ${smallest}.`);
    }
    return poolClassSizes.map(() => budget.value);
  }
  const counts = poolClassSizes.map((n) => Math.min(n, Math.round(budget.value * n)));
  const empty = counts.findIndex((k) => k === 0);
  if (empty >= 0) {
    // round(f·n) ≥ 1 needs f ≥ 0.5/n for the smallest class.
    const smallestWorking = Math.max(...poolClassSizes.map((n) => 0.5 / n));
    throw new UserError(
      `--labeled ${budget.value} gives class "${classNames[empty]}" no labeled example: the smallest fraction that gives every class one is ${ceilSignificant(smallestWorking, 2)} (or use --labels-per-class 1).`,
    );
  }
  return counts;
}

function ceilSignificant(value: number, digits: number): number {
  const scale = 10 ** (digits - 1 - Math.floor(Math.log10(value)));
  return Math.ceil(value * scale) / scale;
}

function sortedInt32(values: number[]): Int32Array {
  return Int32Array.from(values).sort();
}

/**
 * Split a dataset for one seed. Datasets with an official test set keep it;
 * others get a stratified test set of `testFraction` of each class.
 */
export function makeSplit(dataset: Dataset, seed: number, testFraction: number, budgets: LabelBudget[]): Split {
  const classCount = dataset.classNames.length;
  const n = dataset.y.length;
  const rng = createRng(deriveSeed(seed, 'split'));
  let test: number[] = [];
  let pool: number[] = [];
  if (dataset.officialTrainCount !== undefined) {
    for (let i = 0; i < n; i++) (i < dataset.officialTrainCount ? pool : test).push(i);
  } else {
    const all = Array.from({ length: n }, (_, i) => i);
    for (const members of indicesByClass(dataset.y, all, classCount)) {
      shuffleInPlace(members, rng);
      const testCount = Math.round(testFraction * members.length);
      test = test.concat(members.slice(0, testCount));
      pool = pool.concat(members.slice(testCount));
    }
  }
  // One seeded order per class; every budget takes a prefix of it, which makes the subsets nested.
  const poolByClass = indicesByClass(dataset.y, sortedInt32(pool), classCount).map((members) => shuffleInPlace(members, rng));
  const poolClassSizes = poolByClass.map((members) => members.length);
  const labeled = budgets.map((budget) => {
    const counts = labeledCountsPerClass(budget, poolClassSizes, dataset.classNames);
    return sortedInt32(poolByClass.flatMap((members, c) => members.slice(0, counts[c])));
  });
  return { seed, test: sortedInt32(test), pool: sortedInt32(pool), labeled, budgets };
}

/** Check a split's budgets against a dataset before any work starts (same errors as makeSplit). */
export function validateBudgets(dataset: Dataset, testFraction: number, budgets: LabelBudget[]): void {
  makeSplit(dataset, 0, testFraction, budgets);
}

/**
 * Training that went wrong without a NaN. A learning rate far too high can
 * drive a classifier into always answering one class: its loss saturates or
 * grows, yet stays finite, and its test accuracy sits at chance. Two such arms
 * differ by noise, and a report must not call that a gain. This finds them
 * from a run's files: a classifier whose test accuracy is no better than
 * always answering the test set's largest class, or whose training loss ended
 * at or above chance level (ln K, what guessing uniformly costs) or grew;
 * and an autoencoder whose reconstruction loss grew.
 */
import type { ArmName } from '../arms/index.ts';
import { count, fixed, pct } from './format.ts';
import type { RunFiles } from './run-files.ts';

/** How far above the majority share (as a share of the rest) test accuracy must be to count as learning. */
const CHANCE_MARGIN = 0.05;
/** A final training loss at or above this share of ln K is chance level. */
const CHANCE_LOSS_SHARE = 0.95;
/** A loss that ends this many times above where it started has diverged. */
const GROWTH = 1.5;

export interface TrainingProblem {
  model: 'autoencoder' | ArmName;
  seed: number;
  /** Absent for the autoencoder, which does not depend on the fraction. */
  fraction?: number;
  /** What went wrong, as a clause: "test accuracy 8.6 %, no better than …". */
  what: string;
}

/** Share of the test set's largest class, from a confusion matrix (rows are true classes). */
function majorityShare(matrix: number[][]): number {
  const sizes = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const total = sizes.reduce((a, b) => a + b, 0);
  return total > 0 ? Math.max(...sizes) / total : NaN;
}

/** Every sign of failed training in a run's files, one entry per model, seed and fraction affected. */
export function findTrainingProblems(run: Pick<RunFiles, 'rows' | 'curves' | 'confusions' | 'params'>): TrainingProblem[] {
  const classCount = run.params.dataset.classNames.length;
  const chanceLoss = Math.log(classCount);
  const problems: TrainingProblem[] = [];
  const anyConfusion = run.confusions[0];
  for (const row of run.rows) {
    const confusion = run.confusions.find((c) => c.seed === row.seed && c.fraction === row.fraction && c.arm === row.arm) ?? anyConfusion;
    const majority = confusion ? majorityShare(confusion.matrix) : 1 / classCount;
    const chance = Number.isFinite(majority) ? majority : 1 / classCount;
    const clauses: string[] = [];
    if (row.accuracy <= chance + CHANCE_MARGIN * (1 - chance)) {
      clauses.push(`test accuracy ${pct(row.accuracy * 100)}, no better than always answering the largest class (${pct(chance * 100)})`);
    }
    const curve = run.curves.find((c) => c.model === row.arm && c.seed === row.seed && c.fraction === row.fraction);
    const losses = (curve?.epochs ?? []).map((e) => e.loss).filter(Number.isFinite);
    // The pseudo-label arm's loss adds a weighted unlabeled term that rises by design, so only its accuracy is judged.
    if (row.arm !== 'pseudo-label' && losses.length > 0) {
      const first = losses[0];
      const last = losses[losses.length - 1];
      if (losses.length > 1 && last > GROWTH * first && last > chanceLoss) clauses.push(`training loss grew from ${fixed(first, 2)} to ${fixed(last, 2)}`);
      else if (last >= CHANCE_LOSS_SHARE * chanceLoss) clauses.push(`training loss ended at ${fixed(last, 2)}, at or above chance level (ln ${classCount} = ${fixed(chanceLoss, 2)})`);
    }
    if (clauses.length > 0) problems.push({ model: row.arm, seed: row.seed, fraction: row.fraction, what: clauses.join('; ') });
  }
  for (const curve of run.curves.filter((c) => c.model === 'autoencoder')) {
    const losses = curve.epochs.map((e) => e.loss).filter(Number.isFinite);
    if (losses.length > 1 && losses[losses.length - 1] > GROWTH * losses[0]) {
      problems.push({ model: 'autoencoder', seed: curve.seed, what: `reconstruction loss grew from ${fixed(losses[0], 3)} to ${fixed(losses[losses.length - 1], 3)}` });
    }
  }
  return problems;
}

/** The problem of one classifier row, if it has one (for the summary: such a row makes its comparison unusable). */
export function problemOf(problems: readonly TrainingProblem[], seed: number, fraction: number, arm: ArmName): TrainingProblem | undefined {
  return problems.find((p) => p.model === arm && p.seed === seed && p.fraction === fraction);
}

/** One warning sentence per model and fraction affected, with the seeds and the fix. */
export function problemWarnings(problems: readonly TrainingProblem[], labeledAt: (fraction: number) => number): string[] {
  const groups = new Map<string, TrainingProblem[]>();
  for (const p of problems) {
    const key = `${p.model}|${p.fraction ?? ''}`;
    groups.set(key, [...(groups.get(key) ?? []), p]);
  }
  return [...groups.values()].map((group) => {
    const { model, fraction } = group[0];
    const seeds = group.map((p) => p.seed);
    const seedText = `seed${seeds.length === 1 ? '' : 's'} ${seeds.join(', ')}`;
    const what = seeds.length === 1 ? group[0].what : `seed ${seeds[0]}: ${group[0].what}`;
    if (model === 'autoencoder') {
      return `pretraining diverged (${seedText}): ${what}; lower --pretrain-learning-rate.`;
    }
    const fix = model === 'pseudo-label' ? 'lower --learning-rate or --pseudo-weight' : 'lower --learning-rate';
    return `the ${model} arm did not learn at ${count(labeledAt(fraction!))} labels (${seedText}; ${what}): its numbers are not a result: ${fix} and rerun.`;
  });
}

/**
 * A job is one unit of cached work: a stage applied to one seed (and, for a
 * classifier arm, one label budget). Jobs are plain JSON with no
 * machine-local paths, so they can be hashed into keys, printed by --dry-run
 * and sent to worker processes on this machine or another.
 */
import type { LabelBudget } from '../data/split.ts';

export interface Job<P = unknown> {
  /** The stage that runs it (pipeline/<stage>.ts). */
  stage: string;
  /** Human-readable and unique within a plan: "pretrain seed 2", "pretrained seed 1 fraction 0.01". */
  id: string;
  /** Content key of its output in the artifact store: a hash of everything that determines it. */
  key: string;
  seed: number;
  /** Ids of the jobs whose outputs it reads. */
  deps: string[];
  /** Keys of those outputs, by stage name ({ prepare: …, pretrain: … }). */
  inputs: Record<string, string>;
  /** Classifier jobs: the arm its result is filed under, and how many labels it gets. */
  arm?: string;
  budget?: LabelBudget;
  /** The stage's slice of the configuration (and the arm's settings): what its key hashes besides inputs. */
  params: P;
}

/** "fraction 0.01" or "10 per class", for job ids. */
export function budgetLabel(budget: LabelBudget): string {
  return budget.kind === 'fraction' ? `fraction ${budget.value}` : `${budget.value} per class`;
}

/** Whether `text` is written as budgetLabel writes a label budget (how --arm-settings names one). */
export function isBudgetLabel(text: string): boolean {
  return /^(fraction (0|1)?\.?\d+|\d+ per class)$/.test(text);
}

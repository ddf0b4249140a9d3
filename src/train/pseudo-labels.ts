/**
 * Pseudo-labels for self-training (Lee 2013, "Pseudo-Label"): a teacher's
 * most confident predictions on unlabeled pool examples, at most `perClass`
 * per predicted class, so no class floods the training set.
 */
import type { ExtraLabels } from './train-classifier.ts';

export interface PseudoSelection extends ExtraLabels {
  /** The teacher's probability for each chosen label. */
  confidence: Float32Array;
}

/**
 * Choose pseudo-labels among `candidates` (the rows `probabilities` holds, in
 * order): per predicted class, the most confident with probability ≥
 * `threshold`, at most `perClass`. Returns sorted indices, all from `candidates`.
 */
export function selectPseudoLabels(probabilities: Float32Array, candidates: Int32Array, classCount: number, perClass: number, threshold: number): PseudoSelection {
  const byClass: { row: number; p: number }[][] = Array.from({ length: classCount }, () => []);
  for (let r = 0; r < candidates.length; r++) {
    let best = 0;
    for (let c = 1; c < classCount; c++) if (probabilities[r * classCount + c] > probabilities[r * classCount + best]) best = c;
    const p = probabilities[r * classCount + best];
    if (p >= threshold) byClass[best].push({ row: r, p });
  }
  const chosen: { index: number; label: number; p: number }[] = [];
  byClass.forEach((members, label) => {
    // Most confident first; ties by index, so the choice is deterministic.
    members.sort((a, b) => b.p - a.p || candidates[a.row] - candidates[b.row]);
    for (const m of members.slice(0, perClass)) chosen.push({ index: candidates[m.row], label, p: m.p });
  });
  chosen.sort((a, b) => a.index - b.index);
  return {
    indices: Int32Array.from(chosen, (c) => c.index),
    labels: Int32Array.from(chosen, (c) => c.label),
    confidence: Float32Array.from(chosen, (c) => c.p),
  };
}

/** Pool indices that are not labeled: the only rows pseudo-labelling may label. */
export function unlabeledPool(pool: Int32Array, labeled: Int32Array): Int32Array {
  const taken = new Set(labeled);
  return pool.filter((i) => !taken.has(i));
}

/**
 * The classifier's loss as fit() computes it through tfjs — tfjs-layers' categorical
 * cross-entropy of a softmax output, averaged over the batch — and its gradient with respect to
 * the logits, replayed in plain float32 arithmetic on a few hundred numbers instead of about
 * thirty tfjs kernels through the engine's tape.
 *
 * The replay performs exactly the operations tfjs's forward pass and gradient functions perform,
 * in the same order, each rounded to float32 (Math.fround of a double result is the correctly
 * rounded float32 result of +, −, ×, ÷), so losses and gradients are bit-identical to the taped
 * path (test/fused-dense-step.test.ts checks). The two steps that are not plain arithmetic come
 * from the backend itself: the softmax (the caller passes its output) and the logarithm (the
 * caller's `log`). The tfjs pieces replayed, in order:
 *   s = Σ_c p (sum, keepDims); q = p / s; qc = clip(q, ε, 1 − ε); l = log(qc);
 *   loss_i = −Σ_c t·l; loss = Σ_i loss_i / rows (mean);
 * and backwards their gradients: mean (1/rows), neg, sum (broadcast), mul (·t), log (÷qc),
 * clipByValue (0 outside [ε, 1 − ε]), div (÷s for p; −Σ_c(g·p)/s² for s), the sum's broadcast
 * added to p's gradient, and softmax's (g·p − Σ_c(g·p)·p).
 */

const f = Math.fround;

/** tfjs-layers' epsilon() on a float32 backend, and clipByValue's bounds as the kernel sees them (float32). */
const EPSILON = 1e-7;
const CLIP_LOW = f(EPSILON);
const CLIP_HIGH = f(1 - EPSILON);

export interface CrossEntropyResult {
  /** The batch's mean loss, a float32 value. */
  loss: number;
  /** Rows whose largest probability is at the target's class (the first largest, as tfjs's argMax). */
  correct: number;
}

/**
 * Loss and gradient for `rows` rows of `classes` probabilities `p` (the softmax of the logits)
 * against one-hot `targets`; writes d loss / d logits into `gradient` (rows × classes). `log`
 * must return the backend's elementwise natural logarithm of its argument.
 */
export function softmaxCrossEntropy(
  p: Float32Array,
  targets: Float32Array,
  rows: number,
  classes: number,
  log: (x: Float32Array) => Float32Array,
  gradient: Float32Array,
): CrossEntropyResult {
  const n = rows * classes;
  const sums = new Float32Array(rows);
  const q = new Float32Array(n);
  const clipped = new Float32Array(n);
  let correct = 0;
  for (let i = 0; i < rows; i++) {
    const row = i * classes;
    let s = 0;
    for (let c = 0; c < classes; c++) s = f(s + p[row + c]);
    sums[i] = s;
    for (let c = 0; c < classes; c++) {
      const v = f(p[row + c] / s);
      q[row + c] = v;
      clipped[row + c] = Math.min(Math.max(v, CLIP_LOW), CLIP_HIGH);
    }
    let best = 0;
    let truth = 0;
    for (let c = 1; c < classes; c++) {
      if (p[row + c] > p[row + best]) best = c;
      if (targets[row + c] > targets[row + truth]) truth = c;
    }
    if (best === truth) correct++;
  }
  const logs = log(clipped);
  let total = 0;
  for (let i = 0; i < rows; i++) {
    const row = i * classes;
    let r = 0;
    for (let c = 0; c < classes; c++) r = f(r + f(targets[row + c] * logs[row + c]));
    total = f(total + -r);
  }
  const loss = f(total / rows);

  // Backwards, from d loss = 1.
  const perRow = -f(1 / rows); // mean, then neg
  for (let i = 0; i < rows; i++) {
    const row = i * classes;
    const s = sums[i];
    const sSquared = f(s * s);
    // d q (through log, mul and the clip), then the div's gradients for p and s.
    let dsNumerator = 0;
    for (let c = 0; c < classes; c++) {
      const dl = f(perRow * targets[row + c]);
      const v = q[row + c];
      const dq = v >= CLIP_LOW && v <= CLIP_HIGH ? f(dl / clipped[row + c]) : 0;
      gradient[row + c] = f(dq / s); // d p from the div, for now
      dsNumerator = f(dsNumerator + f(dq * p[row + c]));
    }
    const ds = -f(dsNumerator / sSquared);
    // d p = div's part + the sum's broadcast of d s; then softmax's gradient.
    let dot = 0;
    for (let c = 0; c < classes; c++) {
      const dp = f(gradient[row + c] + ds);
      const dpTimesP = f(dp * p[row + c]);
      gradient[row + c] = dpTimesP;
      dot = f(dot + dpTimesP);
    }
    for (let c = 0; c < classes; c++) gradient[row + c] = f(gradient[row + c] - f(dot * p[row + c]));
  }
  return { loss, correct };
}

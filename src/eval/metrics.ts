/**
 * Test-set metrics from predicted class probabilities: accuracy, macro-F1 and
 * the confusion matrix they are both computed from.
 */

/** Index of the largest value in each row of an N × width matrix. */
export function argmaxRows(values: Float32Array, width: number): Int32Array {
  const n = values.length / width;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let c = 1; c < width; c++) if (values[i * width + c] > values[i * width + best]) best = c;
    out[i] = best;
  }
  return out;
}

/** matrix[true][predicted] = count. */
export function confusionMatrix(truth: ArrayLike<number>, predicted: ArrayLike<number>, classCount: number): number[][] {
  const matrix = Array.from({ length: classCount }, () => new Array<number>(classCount).fill(0));
  for (let i = 0; i < truth.length; i++) matrix[truth[i]][predicted[i]]++;
  return matrix;
}

/** Share of samples on the diagonal. */
export function accuracyOf(matrix: number[][]): number {
  let correct = 0, total = 0;
  matrix.forEach((row, t) => row.forEach((count, p) => { total += count; if (t === p) correct += count; }));
  return total === 0 ? NaN : correct / total;
}

/** Unweighted mean of per-class F1; a class never predicted nor present counts as F1 = 0 only if present. */
export function macroF1Of(matrix: number[][]): number {
  const k = matrix.length;
  let sum = 0, classes = 0;
  for (let c = 0; c < k; c++) {
    const tp = matrix[c][c];
    const actual = matrix[c].reduce((a, b) => a + b, 0);
    let predicted = 0;
    for (let t = 0; t < k; t++) predicted += matrix[t][c];
    if (actual === 0 && predicted === 0) continue;
    sum += tp === 0 ? 0 : (2 * tp) / (actual + predicted);
    classes++;
  }
  return classes === 0 ? NaN : sum / classes;
}

/** Per-class recall (the share of each true class classified correctly). */
export function perClassAccuracy(matrix: number[][]): number[] {
  return matrix.map((row, c) => {
    const total = row.reduce((a, b) => a + b, 0);
    return total === 0 ? NaN : row[c] / total;
  });
}

/**
 * The predictions as CSV: one line per input, `file,label,probability` (`row,…` for table rows),
 * and with --top K the next classes and their probabilities beside the best one.
 */
import { csvCell } from '../util/csv-cell.ts';

/** The `k` most probable classes of each row, best first (ties: the lower class index first). */
export function topClasses(probabilities: Float32Array, classCount: number, k: number): { label: number; probability: number }[][] {
  const rows = probabilities.length / classCount;
  return Array.from({ length: rows }, (_, r) => {
    const row = probabilities.subarray(r * classCount, (r + 1) * classCount);
    return Array.from(row.keys()).sort((a, b) => row[b] - row[a] || a - b).slice(0, k).map((label) => ({ label, probability: row[label] }));
  });
}

/** The CSV text: a header, then one line per input. */
export function predictionsCsv(nameColumn: string, names: readonly string[], probabilities: Float32Array, labels: readonly string[], k: number): string {
  const ranks = Math.min(k, labels.length);
  const header = [nameColumn, 'label', 'probability'];
  for (let rank = 2; rank <= ranks; rank++) header.push(`label_${rank}`, `probability_${rank}`);
  const lines = topClasses(probabilities, labels.length, ranks).map((best, r) =>
    [csvCell(names[r]), ...best.flatMap(({ label, probability }) => [csvCell(labels[label]), probability.toFixed(6)])].join(','));
  return `${[header.join(','), ...lines].join('\n')}\n`;
}

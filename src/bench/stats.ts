/**
 * Small statistics for benchmark numbers: medians of repeated timings, so one
 * slow repeat (another process taking the core) does not move the result.
 */

/** Median of a non-empty list (mean of the middle two for even lengths); the bench's summary of repeats. */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error('median of an empty list');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Whole batches covering about `seconds` of work at `rate` samples/s (at least `minBatches`), so each timed repeat lasts long enough to time. */
export function samplesForDuration(rate: number, seconds: number, batchSize: number, minBatches = 2, maxSamples = 65536): number {
  const wanted = Number.isFinite(rate) && rate > 0 ? rate * seconds : 0;
  const batches = Math.max(minBatches, Math.ceil(wanted / batchSize));
  return Math.max(batchSize * minBatches, Math.min(batches * batchSize, Math.ceil(maxSamples / batchSize) * batchSize));
}

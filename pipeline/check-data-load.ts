/**
 * Manual check: time one load of an IDX folder through the data layer and print peak memory.
 *   npx tsx pipeline/check-data-load.ts <idx-folder> <data-root> [--no-cache]
 * Run it twice with the same data root to see a cold load, then a cached one.
 */
import { performance } from 'node:perf_hooks';
import { resourceUsage } from 'node:process';
import { datasetFingerprint } from '../src/data/cache.ts';
import { loadDatasetSource } from '../src/data/sources.ts';

const [dir, dataRoot = 'data'] = process.argv.slice(2).filter((a) => !a.startsWith('--'));
if (!dir) {
  console.error('usage: npx tsx pipeline/check-data-load.ts <idx-folder> <data-root> [--no-cache]');
  process.exit(2);
}
const cache = !process.argv.includes('--no-cache');
const t0 = performance.now();
const { dataset, fromCache } = await loadDatasetSource({ kind: 'idx', dir, name: 'mnist' }, { dataRoot, cache });
const loadMs = performance.now() - t0;
const t1 = performance.now();
const fingerprint = datasetFingerprint(dataset);
const fpMs = performance.now() - t1;
console.log(
  `${cache ? (fromCache ? 'cache hit' : 'cache miss (decoded + cache written)') : 'no cache (decoded)'}: ` +
    `${dataset.y.length} samples (train ${dataset.officialTrainCount}), load ${loadMs.toFixed(0)} ms, ` +
    `datasetFingerprint ${fingerprint} in ${fpMs.toFixed(0)} ms, peak RSS ${(resourceUsage().maxRSS / 1024).toFixed(0)} MB`,
);

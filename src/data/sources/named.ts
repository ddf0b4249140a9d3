/**
 * --dataset mnist | fashion-mnist | kmnist: a named IDX dataset in `<cache>/datasets/<name>/`, its
 * official files fetched with --download when missing (src/data/registry.ts lists them).
 */
import { NAMED_DATASETS, type NamedDatasetName } from '../registry.ts';
import { defineSource } from './source.ts';

export interface NamedSource {
  kind: 'named';
  name: NamedDatasetName;
  download?: boolean;
  /** Replaces the registry's download locations (a mirror, or a test's local server). */
  baseUrl?: string;
}

export const namedSource = defineSource({
  kind: 'named',
  names: Object.fromEntries(Object.keys(NAMED_DATASETS).map((name) => [name, `the official files in <cache-dir>/datasets/${name}/`])),
  options: {
    download: { kind: 'switch', describe: 'download the files that are missing (MD5-checked)' },
  },
  read: (_dataset, given): { download?: true } => (given.switch('download') ? { download: true } : {}),
  source: (dataset, options): NamedSource => ({ kind: 'named', name: dataset as NamedDatasetName, ...(options.download ? { download: true } : {}) }),
  describe: (dataset) => `${NAMED_DATASETS[dataset as NamedDatasetName].title}, the official files`,
  async locate(source: NamedSource, context) {
    const { ensureNamedDataset } = await import('../download.ts');
    const { loadIdxDataset, resolveIdxFiles } = await import('../idx.ts');
    const dir = await ensureNamedDataset(source.name, context.dataRoot, { download: source.download ?? false, baseUrl: source.baseUrl, onProgress: context.onProgress });
    const classNames = NAMED_DATASETS[source.name].classNames;
    return {
      fingerprint: { name: source.name, files: Object.values(resolveIdxFiles(dir)), params: { loader: 'idx', classNames } },
      decode: () => loadIdxDataset(dir, { name: source.name, classNames }),
    };
  },
});

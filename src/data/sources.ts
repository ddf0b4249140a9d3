/**
 * One entry point from "which data" to a Dataset: the embedded digits, a named IDX dataset
 * (found or downloaded), any IDX folder, a CSV file, or folders of images, with the
 * decoded-dataset cache in front.
 */
import { existsSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import type { PipelineConfig } from '../config.ts';
import type { Dataset } from './dataset.ts';
import { loadCsvDataset } from './csv.ts';
import { loadWithCache, namedFilesDigest } from './cache.ts';
import { ensureNamedDataset, type DownloadProgress } from './download.ts';
import { loadEmbeddedMnist } from './embedded.ts';
import { loadIdxDataset, resolveIdxFiles } from './idx.ts';
import { decodeImageFolders, listImageFolders } from './images.ts';
import { NAMED_DATASETS, type NamedDatasetName } from './registry.ts';

/** What to load; mirrors the CLI's --dataset and its companion options. */
export type DatasetSource =
  | { kind: 'embedded' }
  | { kind: 'named'; name: NamedDatasetName; download?: boolean; baseUrl?: string }
  | { kind: 'idx'; dir: string; name?: string; classNames?: string[] }
  | { kind: 'csv'; file: string; labelColumn: string; dropColumns?: string[]; impute?: 'mean' }
  | { kind: 'images'; dir: string; unlabeledDir?: string; testDir?: string; imageSize?: number; channels?: 1 | 3 };

export interface LoadSourceOptions {
  /** Root of caches and named datasets (`<dataRoot>/datasets/<name>`, `<dataRoot>/cache`). */
  dataRoot: string;
  /** Use the decoded-dataset cache (default true). */
  cache?: boolean;
  onProgress?: (progress: DownloadProgress) => void;
  /** Told about cache rebuilds and similar non-fatal events. */
  onNote?: (message: string) => void;
}

/** What --dataset and its companion options ask to load. */
export function sourceFromConfig(config: Pick<PipelineConfig, 'dataset' | 'dataDir' | 'csv' | 'labelColumn' | 'dropColumns' | 'impute' | 'download' | 'unlabeledDir' | 'testDir' | 'imageSize' | 'channels'>): DatasetSource {
  switch (config.dataset) {
    case 'images': return {
      kind: 'images', dir: config.dataDir,
      ...(config.unlabeledDir ? { unlabeledDir: config.unlabeledDir } : {}),
      ...(config.testDir ? { testDir: config.testDir } : {}),
      ...(config.imageSize > 0 ? { imageSize: config.imageSize } : {}),
      ...(config.channels > 0 ? { channels: config.channels as 1 | 3 } : {}),
    };
    case 'embedded': return { kind: 'embedded' };
    case 'idx': return { kind: 'idx', dir: config.dataDir };
    case 'csv': return { kind: 'csv', file: config.csv, labelColumn: config.labelColumn, dropColumns: config.dropColumns, impute: config.impute === 'mean' ? 'mean' : undefined };
    default: return { kind: 'named', name: config.dataset, download: config.download };
  }
}

/** Load any supported source as a Dataset (raw table values: call prepareTableFromPool after the split). */
export async function loadDatasetSource(source: DatasetSource, options: LoadSourceOptions): Promise<{ dataset: Dataset; fromCache: boolean }> {
  const useCache = options.cache ?? true;
  const cached = async (name: string, sources: string[], params: unknown, decode: () => Promise<Dataset>) => {
    if (!useCache) return { dataset: await decode(), fromCache: false };
    const { dataset, fromCache } = await loadWithCache({ dataRoot: options.dataRoot, name, sources, params, decode, onNote: options.onNote });
    return { dataset, fromCache };
  };
  switch (source.kind) {
    case 'embedded':
      return { dataset: loadEmbeddedMnist(), fromCache: false };
    case 'named': {
      const dir = await ensureNamedDataset(source.name, options.dataRoot, {
        download: source.download ?? false,
        baseUrl: source.baseUrl,
        onProgress: options.onProgress,
      });
      const classNames = NAMED_DATASETS[source.name].classNames;
      const files = Object.values(resolveIdxFiles(dir));
      return cached(source.name, files, { loader: 'idx', classNames }, () => loadIdxDataset(dir, { name: source.name, classNames }));
    }
    case 'idx': {
      const files = Object.values(resolveIdxFiles(source.dir));
      const name = source.name ?? basename(resolve(source.dir));
      return cached(name, files, { loader: 'idx', classNames: source.classNames ?? null }, () =>
        loadIdxDataset(source.dir, { name, classNames: source.classNames }),
      );
    }
    case 'csv': {
      const params = { loader: 'csv', labelColumn: source.labelColumn, dropColumns: source.dropColumns ?? [], impute: source.impute ?? null };
      const decode = () => loadCsvDataset(source.file, source);
      // A missing file surfaces as the loader's UserError rather than as a hashing failure.
      if (!existsSync(source.file)) return { dataset: await decode(), fromCache: false };
      return cached(basename(source.file), [source.file], params, decode);
    }
    case 'images': {
      const listing = listImageFolders(source);
      const name = basename(resolve(source.dir));
      const decode = () => {
        options.onNote?.(`decoding ${listing.train.length + listing.test.length} images (kept in the dataset cache for the next run)`);
        return decodeImageFolders(listing, source);
      };
      if (!useCache) return { dataset: await decode(), fromCache: false };
      // The files are keyed by where they sit (class, unlabeled or test, and path), so moving an image to another class is a new dataset.
      const files = namedFilesDigest([...listing.train, ...listing.test].map((file) => ({ name: file.key, path: file.path })));
      return cached(name, [], { loader: 'images', files, imageSize: source.imageSize ?? 'auto', channels: source.channels ?? 'auto' }, decode);
    }
  }
}

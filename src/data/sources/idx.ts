/** --dataset idx --data-dir DIR: any folder holding the four IDX files (train/t10k images/labels, .gz or not). */
import { basename, resolve } from 'node:path';
import { UserError } from '../../errors.ts';
import { isFolder } from '../../util/folders.ts';
import { defineSource } from './source.ts';

export interface IdxSource {
  kind: 'idx';
  dir: string;
  /** Dataset name for reports; defaults to the folder's name. */
  name?: string;
}

export const idxSource = defineSource({
  kind: 'idx',
  names: { idx: 'any folder of the four IDX files, --data-dir' },
  options: {
    'data-dir': { kind: 'path', describe: 'folder with the four IDX files (train/t10k images/labels, .gz or not)' },
  },
  read(_dataset, given): { dataDir: string } {
    const dataDir = given.path('data-dir');
    if (dataDir === undefined) throw new UserError('--dataset idx needs --data-dir DIR: the folder holding train-images-idx3-ubyte(.gz) and the other three IDX files.');
    if (!isFolder(dataDir)) throw new UserError(`--data-dir ${given.text('data-dir')} is not a folder: give the folder holding the four IDX files.`);
    return { dataDir };
  },
  source: (_dataset, options): IdxSource => ({ kind: 'idx', dir: options.dataDir }),
  describe: (_dataset, options) => `the IDX files of the folder ${basename(resolve(options.dataDir))}`,
  async locate(source: IdxSource) {
    const { loadIdxDataset, resolveIdxFiles } = await import('../idx.ts');
    // The files' contents, not their place, key the cache.
    const name = source.name ?? basename(resolve(source.dir));
    return {
      fingerprint: { name, files: Object.values(resolveIdxFiles(source.dir)), params: { loader: 'idx', classNames: null } },
      decode: () => loadIdxDataset(source.dir, { name }),
    };
  },
});

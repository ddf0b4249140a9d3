/**
 * --dataset images --data-dir DIR: the user's own images, one subfolder per class, with optional
 * unlabeled and test folders, decoded by sharp (src/data/images.ts).
 */
import { basename, resolve } from 'node:path';
import { UserError } from '../../errors.ts';
import { isFolder } from '../../util/folders.ts';
import { parseInteger } from '../../util/option-values.ts';
import { namedFilesDigest } from '../cache.ts';
import { defineSource } from './source.ts';

export interface ImagesSource {
  kind: 'images';
  /** One subfolder per class. */
  dir: string;
  unlabeledDir?: string;
  testDir?: string;
  /** Side of the square images are resized to; absent: their own size when all agree, else 28. */
  imageSize?: number;
  /** 1 (greyscale) or 3 (RGB); absent: 1 when every image is grey, else 3. */
  channels?: 1 | 3;
}

/** Its part of the config (a type, not an interface: plain JSON). */
type ImagesOptions = {
  dataDir: string;
  unlabeledDir?: string;
  testDir?: string;
  imageSize?: number;
  channels?: number;
}

export const imagesSource = defineSource({
  kind: 'images',
  names: { images: 'image folders, one per class, --data-dir' },
  options: {
    'data-dir': { kind: 'path', describe: 'folder with one subfolder of images per class' },
    'unlabeled-dir': { kind: 'path', describe: 'folder of unlabeled images (any subfolders); they join the pool only' },
    'test-dir': { kind: 'path', describe: 'test images, one subfolder per class (instead of --test-fraction)', instead: { option: 'test-fraction', chooses: 'the test set' } },
    'image-size': { kind: 'text', describe: 'resize every image to N×N pixels', defaultDescription: 'their own size when all agree, else 28' },
    channels: { kind: 'text', describe: '1 (greyscale) or 3 (RGB)', defaultDescription: '1 when every image is grey, else 3' },
  },
  read(_dataset, given): ImagesOptions {
    const dataDir = given.path('data-dir');
    if (dataDir === undefined) throw new UserError('--dataset images needs --data-dir DIR: a folder with one subfolder of images per class (DIR/<class>/*.png).');
    if (!isFolder(dataDir)) throw new UserError(`--data-dir ${given.text('data-dir')} is not a folder: give the folder that holds one subfolder of images per class.`);
    const options: ImagesOptions = { dataDir };
    for (const [name, key] of [['unlabeled-dir', 'unlabeledDir'], ['test-dir', 'testDir']] as const) {
      const dir = given.path(name);
      if (dir === undefined) continue;
      if (!isFolder(dir)) throw new UserError(`--${name} ${given.text(name)} is not a folder: give the folder that holds the ${name === 'test-dir' ? 'test images, one subfolder per class' : 'unlabeled images'}.`);
      options[key] = dir;
    }
    const imageSize = given.text('image-size');
    if (imageSize !== undefined) options.imageSize = parseInteger('image-size', imageSize, 1, 1024);
    const channels = given.text('channels');
    if (channels !== undefined) {
      if (channels.trim() !== '1' && channels.trim() !== '3') throw new UserError(`--channels ${channels} is not 1 or 3: give 1 (greyscale) or 3 (RGB).`);
      options.channels = Number(channels);
    }
    return options;
  },
  source: (_dataset, options): ImagesSource => ({
    kind: 'images', dir: options.dataDir,
    ...(options.unlabeledDir ? { unlabeledDir: options.unlabeledDir } : {}),
    ...(options.testDir ? { testDir: options.testDir } : {}),
    ...(options.imageSize ? { imageSize: options.imageSize } : {}),
    ...(options.channels ? { channels: options.channels as 1 | 3 } : {}),
  }),
  describe: (_dataset, options) => `the images in the class folders of ${basename(options.dataDir)}` +
    `${options.unlabeledDir ? `, unlabeled ones from ${basename(options.unlabeledDir)}` : ''}${options.testDir ? `, test ones from ${basename(options.testDir)}` : ''}`,
  async locate(source: ImagesSource, context) {
    const { decodeImageFolders, listImageFolders } = await import('../images.ts');
    const listing = listImageFolders(source);
    const decode = () => {
      context.onNote?.(`decoding ${listing.train.length + listing.test.length} images (kept in the dataset cache for the next run)`);
      return decodeImageFolders(listing, source);
    };
    if (context.cache === false) return { decode };
    // The files are keyed by where they sit (class, unlabeled or test, and path), so moving an image to another class is a new dataset.
    const files = namedFilesDigest([...listing.train, ...listing.test].map((file) => ({ name: file.key, path: file.path })));
    return { fingerprint: { name: basename(resolve(source.dir)), files: [], params: { loader: 'images', files, imageSize: source.imageSize ?? 'auto', channels: source.channels ?? 'auto' } }, decode };
  },
});

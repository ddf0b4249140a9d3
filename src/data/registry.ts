/**
 * The named IDX datasets the pipeline can fetch: where they come from, how to check them,
 * what their classes are called and where they live under the data root.
 */
import { join } from 'node:path';
import { IDX_FILES } from './idx.ts';

export type NamedDatasetName = 'mnist' | 'fashion-mnist' | 'kmnist';

export interface NamedDatasetFile {
  /** File name as published (and as stored locally). */
  file: string;
  /** MD5 of the published .gz file (the checksum the publishers and torchvision list). */
  md5: string;
}

export interface NamedDatasetSpec {
  name: NamedDatasetName;
  title: string;
  homepage: string;
  license: string;
  /** Download bases tried in order; each file is `<base><file>`. */
  baseUrls: string[];
  files: NamedDatasetFile[];
  classNames: string[];
}

const gz = (base: string) => `${base}.gz`;

/** Every named dataset; the MD5s are those of the official .gz files as listed by torchvision's dataset classes. */
export const NAMED_DATASETS: Readonly<Record<NamedDatasetName, NamedDatasetSpec>> = {
  mnist: {
    name: 'mnist',
    title: 'MNIST handwritten digits (LeCun, Cortes & Burges)',
    homepage: 'http://yann.lecun.com/exdb/mnist/',
    license: 'CC BY-SA 3.0',
    // yann.lecun.com no longer serves the files reliably; these mirrors hold the identical .gz files.
    baseUrls: ['https://storage.googleapis.com/cvdf-datasets/mnist/', 'https://ossci-datasets.s3.amazonaws.com/mnist/'],
    files: [
      { file: gz(IDX_FILES.trainImages), md5: 'f68b3c2dcbeaaa9fbdd348bbdeb94873' },
      { file: gz(IDX_FILES.trainLabels), md5: 'd53e105ee54ea40749a09fcbcd1e9432' },
      { file: gz(IDX_FILES.testImages), md5: '9fb629c4189551a2d022fa330f9573f3' },
      { file: gz(IDX_FILES.testLabels), md5: 'ec29112dd5afa0611ce80d1b7f02629c' },
    ],
    classNames: ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'],
  },
  'fashion-mnist': {
    name: 'fashion-mnist',
    title: 'Fashion-MNIST (Zalando Research)',
    homepage: 'https://github.com/zalandoresearch/fashion-mnist',
    license: 'MIT',
    baseUrls: [
      'http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/',
      'https://raw.githubusercontent.com/zalandoresearch/fashion-mnist/master/data/fashion/',
    ],
    files: [
      { file: gz(IDX_FILES.trainImages), md5: '8d4fb7e6c68d591d4c3dfef9ec88bf0d' },
      { file: gz(IDX_FILES.trainLabels), md5: '25c81989df183df01b3e8a0aad5dffbe' },
      { file: gz(IDX_FILES.testImages), md5: 'bef4ecab320f06d8554ea6380940ec79' },
      { file: gz(IDX_FILES.testLabels), md5: 'bb300cfdad3c16e7a12a480ee83cd310' },
    ],
    classNames: ['T-shirt/top', 'Trouser', 'Pullover', 'Dress', 'Coat', 'Sandal', 'Shirt', 'Sneaker', 'Bag', 'Ankle boot'],
  },
  kmnist: {
    name: 'kmnist',
    title: 'Kuzushiji-MNIST (ROIS-DS Center for Open Data in the Humanities)',
    homepage: 'https://github.com/rois-codh/kmnist',
    license: 'CC BY-SA 4.0',
    baseUrls: ['http://codh.rois.ac.jp/kmnist/dataset/kmnist/'],
    files: [
      { file: gz(IDX_FILES.trainImages), md5: 'bdb82020997e1d708af4cf47b453dcf7' },
      { file: gz(IDX_FILES.trainLabels), md5: 'e144d726b3acfaa3e44228e80efcd344' },
      { file: gz(IDX_FILES.testImages), md5: '5c965bf0a639b31b8f53240b1b52f4d7' },
      { file: gz(IDX_FILES.testLabels), md5: '7320c461ea6c1c855c0b718fb2a4b134' },
    ],
    // Hiragana as in the KMNIST class map (romanised: o, ki, su, tsu, na, ha, ma, ya, re, wo).
    classNames: ['お', 'き', 'す', 'つ', 'な', 'は', 'ま', 'や', 'れ', 'を'],
  },
};

/** Names accepted by `--dataset` for downloadable IDX datasets. */
export const NAMED_DATASET_NAMES = Object.keys(NAMED_DATASETS) as NamedDatasetName[];

/** Folder of a named dataset under the data root (`<dataRoot>/datasets/<name>`), so every stage finds the same files. */
export function namedDatasetDir(name: NamedDatasetName, dataRoot: string): string {
  return join(dataRoot, 'datasets', name);
}

/**
 * Folders of images as a Dataset, laid out as Keras' image_dataset_from_directory reads them: each
 * subfolder of the data folder is a class (`DIR/<class>/…/*.png|jpg|jpeg|webp`); an optional folder
 * of unlabeled images (any tree); an optional test folder laid out like the data folder. sharp
 * (libvips) decodes each image, turns it upright by its EXIF orientation, converts it to greyscale
 * or RGB and stretches it to the target size (as Keras does, no cropping). A file sharp cannot
 * decode is skipped and named in one warning line.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp, { type Metadata } from 'sharp';
import { UserError } from '../errors.ts';
import { mapLimited } from '../util/concurrency.ts';
import { sortClassNames, UNLABELED, type Dataset } from './dataset.ts';

// Many small images, each decoded on one libuv thread: libvips' own threads per image and its
// operation cache only add overhead there (measured: about 30 % less CPU per 28×28 PNG without them).
sharp.concurrency(1);
sharp.cache(false);

/** File name endings read as images (case-insensitive); other files are ignored. */
export const IMAGE_EXTENSIONS = ['.png', '.jpg', '.jpeg', '.webp'] as const;
/** The side images are resized to when their own sizes differ and no --image-size is given. */
export const FALLBACK_IMAGE_SIZE = 28;
/** How many unreadable files a warning names. */
const NAMED_FAILURES = 3;

export interface ImageFolderOptions {
  /** One subfolder per class. */
  dir: string;
  /** Images without a label, in any tree of folders. */
  unlabeledDir?: string;
  /** Test images, one subfolder per class as in `dir`; without it the test set comes from `dir`. */
  testDir?: string;
  /** Side of the square every image is resized to; undefined: the images' own size when all agree, else FALLBACK_IMAGE_SIZE. */
  imageSize?: number;
  /** 1 (greyscale) or 3 (RGB); undefined: 1 when every image is grey (R = G = B in every pixel), else 3. */
  channels?: 1 | 3;
  /** Dataset name for reports; defaults to the data folder's name. */
  name?: string;
}

export interface ImageFile {
  /** The image's place, as the cache key and messages name it: its path relative to its folder, under that folder's role. */
  key: string;
  path: string;
  /** Class index, or UNLABELED. */
  label: number;
}

/** Every image file the folders hold, before decoding. */
export interface ImageListing {
  classNames: string[];
  /** Labeled images by class, then unlabeled images. */
  train: ImageFile[];
  /** Images of --test-dir, by class (empty without one). */
  test: ImageFile[];
  /** Things worth saying that are not errors (image files outside any class folder). */
  warnings: string[];
}

function isImageFile(name: string): boolean {
  const lower = name.toLowerCase();
  return IMAGE_EXTENSIONS.some((ext) => lower.endsWith(ext));
}

/** Entries of a folder, hidden ones (".DS_Store", ".git") left out, symbolic links followed. */
function visibleEntries(dir: string): { name: string; isDir: boolean; isFile: boolean }[] {
  return readdirSync(dir, { withFileTypes: true })
    .filter((entry) => !entry.name.startsWith('.'))
    .map((entry) => {
      if (!entry.isSymbolicLink()) return { name: entry.name, isDir: entry.isDirectory(), isFile: entry.isFile() };
      const stat = statSync(path.join(dir, entry.name), { throwIfNoEntry: false });
      return { name: entry.name, isDir: stat?.isDirectory() ?? false, isFile: stat?.isFile() ?? false };
    });
}

/** Image files anywhere under `root`, as sorted paths relative to it (forward slashes). */
export function imageFilesUnder(root: string): string[] {
  const found: string[] = [];
  const walk = (relative: string): void => {
    for (const entry of visibleEntries(path.join(root, relative))) {
      const child = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDir) walk(child);
      else if (entry.isFile && isImageFile(entry.name)) found.push(child);
    }
  };
  walk('');
  return found.sort();
}

const extensionsText = IMAGE_EXTENSIONS.join(', ');

/** The class folders of a data or test folder and their image files. */
function classFolders(dir: string, option: string): { name: string; files: string[] }[] {
  const entries = visibleEntries(dir);
  return entries.filter((entry) => entry.isDir).map((entry) => {
    const files = imageFilesUnder(path.join(dir, entry.name));
    if (files.length === 0) {
      throw new UserError(`${option} ${shown(dir)}: the class folder "${entry.name}" holds no images (${extensionsText}): add images of that class or remove the folder.`);
    }
    return { name: entry.name, files };
  });
}

/** List the images of the folders; a UserError for a layout that cannot be a dataset. */
export function listImageFolders(options: ImageFolderOptions): ImageListing {
  const warnings: string[] = [];
  const folders = classFolders(options.dir, '--data-dir');
  const loose = visibleEntries(options.dir).filter((entry) => entry.isFile && isImageFile(entry.name)).length;
  if (folders.length === 0) {
    const hint = loose > 0 ? `; its ${loose} images lie directly in it` : '';
    throw new UserError(`--data-dir ${shown(options.dir)} has no class folders${hint}: put each class's images in a subfolder named after the class (${shown(options.dir)}/<class>/*.png), and unlabeled images in --unlabeled-dir.`);
  }
  if (folders.length < 2) {
    throw new UserError(`--data-dir ${shown(options.dir)} has one class folder ("${folders[0].name}"): a classifier needs at least two classes, one subfolder each.`);
  }
  if (loose > 0) warnings.push(`${loose} image file${loose === 1 ? '' : 's'} directly in ${shown(options.dir)} belong${loose === 1 ? 's' : ''} to no class folder and ${loose === 1 ? 'was' : 'were'} ignored (unlabeled images go in --unlabeled-dir)`);
  const classNames = sortClassNames(folders.map((folder) => folder.name));
  const byName = new Map(folders.map((folder) => [folder.name, folder]));
  const train: ImageFile[] = [];
  classNames.forEach((name, label) => {
    for (const file of byName.get(name)!.files) train.push({ key: `labeled/${name}/${file}`, path: path.join(options.dir, name, file), label });
  });
  if (options.unlabeledDir !== undefined) {
    const files = imageFilesUnder(options.unlabeledDir);
    if (files.length === 0) throw new UserError(`--unlabeled-dir ${shown(options.unlabeledDir)} holds no images (${extensionsText}, in any subfolder): add the unlabeled images or leave the option out.`);
    for (const file of files) train.push({ key: `unlabeled/${file}`, path: path.join(options.unlabeledDir, file), label: UNLABELED });
  }
  const test: ImageFile[] = [];
  if (options.testDir !== undefined) {
    const testFolders = classFolders(options.testDir, '--test-dir');
    for (const folder of testFolders) {
      if (!byName.has(folder.name)) {
        throw new UserError(`--test-dir ${shown(options.testDir)}: the folder "${folder.name}" is not a class of --data-dir (${classNames.join(', ')}): rename or remove it.`);
      }
    }
    const testByName = new Map(testFolders.map((folder) => [folder.name, folder]));
    classNames.forEach((name, label) => {
      const folder = testByName.get(name);
      if (!folder) throw new UserError(`--test-dir ${shown(options.testDir!)} has no folder for the class "${name}": add ${shown(path.join(options.testDir!, name))} with test images of it.`);
      for (const file of folder.files) test.push({ key: `test/${name}/${file}`, path: path.join(options.testDir!, name, file), label });
    });
  }
  return { classNames, train, test, warnings };
}

/** The first line of a decoder's message (libvips adds one line per warning). */
function firstLine(error: unknown): string {
  return String((error as Error)?.message ?? error).split('\n')[0].replace(/:\s*$/, '');
}

type Outcome<T> = { ok: true; value: T } | { ok: false; reason: string };

async function attempt<T>(run: () => Promise<T>): Promise<Outcome<T>> {
  try {
    return { ok: true, value: await run() };
  } catch (error) {
    return { ok: false, reason: firstLine(error) };
  }
}

/** What the pixels become: the size and the number of channels. */
export interface ImageTarget { width: number; height: number; channels: 1 | 3 }

/** The images' own size when every image has the same, else FALLBACK_IMAGE_SIZE square (and a note saying so). */
function commonSize(headers: Metadata[], notes: string[]): { width: number; height: number } {
  const sizes = new Map<string, number>();
  for (const header of headers) {
    const size = `${header.autoOrient.width}×${header.autoOrient.height}`;
    sizes.set(size, (sizes.get(size) ?? 0) + 1);
  }
  if (sizes.size === 1) return { width: headers[0].autoOrient.width, height: headers[0].autoOrient.height };
  const common = [...sizes.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([size, count]) => `${size} (${count})`);
  notes.push(`the images have ${sizes.size} different sizes (${common.join(', ')}${sizes.size > 3 ? ', …' : ''}), so all are resized to ${FALLBACK_IMAGE_SIZE}×${FALLBACK_IMAGE_SIZE}; choose the size with --image-size`);
  return { width: FALLBACK_IMAGE_SIZE, height: FALLBACK_IMAGE_SIZE };
}

/** True when every pixel of every RGB image has R = G = B (then one channel says it all). */
function allGrey(images: (Buffer | undefined)[]): boolean {
  for (const image of images) {
    if (!image) continue;
    for (let k = 0; k < image.length; k += 3) if (image[k] !== image[k + 1] || image[k] !== image[k + 2]) return false;
  }
  return true;
}

/** The first channel of an RGB image. */
function firstChannel(image: Buffer): Buffer {
  const grey = Buffer.alloc(image.length / 3);
  for (let p = 0; p < grey.length; p++) grey[p] = image[p * 3];
  return grey;
}

/**
 * Decode one image file to `target` as bytes (height × width × channels, row-major): upright by its
 * EXIF orientation, alpha dropped, greyscale or sRGB, stretched to the size. Training and
 * prediction both decode through here, so an exported model sees its inputs as it was trained.
 */
export async function decodeImage(file: string, target: ImageTarget): Promise<Buffer> {
  // Read synchronously here rather than by libvips or fs.promises: for small files, far less work than their threads.
  let image = sharp(readFileSync(file), { autoOrient: true }).removeAlpha();
  image = target.channels === 1 ? image.greyscale() : image.toColourspace('srgb');
  const { data, info } = await image.resize(target.width, target.height, { fit: 'fill' }).raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  if (info.width !== target.width || info.height !== target.height || info.channels !== target.channels) {
    throw new Error(`decoded to ${info.width}×${info.height}×${info.channels}, not ${target.width}×${target.height}×${target.channels}`);
  }
  return data;
}

/** A path as a person finds it: relative to the working folder when inside it. */
function shown(file: string): string {
  const relative = path.relative(process.cwd(), file);
  return relative === '' ? '.' : relative.startsWith('..') || path.isAbsolute(relative) ? file : relative;
}

/** One warning line for the files that could not be read. */
function unreadableWarning(failed: { file: ImageFile; reason: string }[], total: number): string {
  const named = failed.slice(0, NAMED_FAILURES).map((f) => `${shown(f.file.path)} (${f.reason})`).join(', ');
  return `${failed.length} of ${total} image files could not be read and were skipped: ${named}${failed.length > NAMED_FAILURES ? ', …' : ''}`;
}

/**
 * Decode every listed image into one Dataset: labeled images by class, unlabeled ones (UNLABELED),
 * then the test images (officialTrainCount marks where they start). A class, test class or
 * unlabeled folder left with no readable image is a UserError.
 */
export async function decodeImageFolders(listing: ImageListing, options: ImageFolderOptions): Promise<Dataset> {
  const files = [...listing.train, ...listing.test];
  // Several images in flight keep the libuv threads (where sharp works) busy; each image is small work.
  const inFlight = 2 * Math.max(2, os.availableParallelism());
  const failed = new Map<number, string>();
  const notes: string[] = [];
  let size = { width: options.imageSize ?? FALLBACK_IMAGE_SIZE, height: options.imageSize ?? FALLBACK_IMAGE_SIZE };
  if (options.imageSize === undefined) {
    const headers = await mapLimited(files, inFlight, (file) => attempt(() => sharp(readFileSync(file.path)).metadata()));
    headers.forEach((header, i) => { if (!header.ok) failed.set(i, header.reason); });
    const readable = headers.flatMap((header) => (header.ok ? [header.value] : []));
    if (readable.length > 0) size = commonSize(readable, notes);
  }
  // Without --channels, decode in colour and keep one channel if every image turns out grey: the
  // stored format cannot tell (WebP and many JPEGs store grey pictures as RGB).
  const target: ImageTarget = { ...size, channels: options.channels ?? 3 };
  let pixels = await mapLimited(files.map((file, i) => ({ file, i })), inFlight, async ({ file, i }) => {
    if (failed.has(i)) return undefined;
    const decoded = await attempt(() => decodeImage(file.path, target));
    if (decoded.ok) return decoded.value;
    failed.set(i, decoded.reason);
    return undefined;
  });
  if (options.channels === undefined && allGrey(pixels)) {
    pixels = pixels.map((image) => image && firstChannel(image));
    target.channels = 1;
  }

  checkEveryGroupReadable(files, listing.train.length, failed, listing, options);
  const kept = files.flatMap((file, i) => (pixels[i] ? [{ file, bytes: pixels[i]!, isTest: i >= listing.train.length }] : []));
  const features = target.width * target.height * target.channels;
  // The pixels stay bytes (Dataset.x): a quarter of the memory of float32.
  const x = new Uint8Array(kept.length * features);
  const y = new Int32Array(kept.length);
  kept.forEach(({ file, bytes }, row) => {
    x.set(bytes.subarray(0, features), row * features);
    y[row] = file.label;
  });
  const failures = [...failed.entries()].sort((a, b) => a[0] - b[0]).map(([i, reason]) => ({ file: files[i], reason }));
  const warnings = [...listing.warnings, ...notes, ...(failures.length > 0 ? [unreadableWarning(failures, files.length)] : [])];
  const dataset: Dataset = {
    name: options.name ?? path.basename(path.resolve(options.dir)),
    x,
    y,
    inputShape: [target.height, target.width, target.channels],
    classNames: listing.classNames,
  };
  if (listing.test.length > 0) dataset.officialTrainCount = kept.filter((entry) => !entry.isTest).length;
  if (warnings.length > 0) dataset.warnings = warnings;
  return dataset;
}

/** Every class (in the data and the test folder) and the unlabeled folder must keep a readable image. */
function checkEveryGroupReadable(files: ImageFile[], trainCount: number, failed: Map<number, string>, listing: ImageListing, options: ImageFolderOptions): void {
  const check = (isTest: boolean, label: number, what: string) => {
    const members = files.flatMap((file, i) => ((i >= trainCount) === isTest && file.label === label ? [i] : []));
    if (members.length === 0 || members.some((i) => !failed.has(i))) return;
    const example = `${shown(files[members[0]].path)}: ${failed.get(members[0])}`;
    throw new UserError(`${what}: none of its ${members.length} images could be read (e.g. ${example}): replace them with PNG, JPEG or WebP files.`);
  };
  listing.classNames.forEach((name, label) => {
    check(false, label, `--data-dir ${shown(options.dir)}, class folder "${name}"`);
    check(true, label, `--test-dir ${shown(options.testDir ?? '')}, class folder "${name}"`);
  });
  check(false, UNLABELED, `--unlabeled-dir ${shown(options.unlabeledDir ?? '')}`);
}

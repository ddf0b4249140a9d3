/**
 * Binary cache of decoded datasets under `<dataRoot>/cache/`, keyed by the content of the source
 * files, so a second load skips gunzip/CSV parsing. Image pixels are stored as bytes (k/255) and
 * read back as bytes (Dataset.x), tables as float32; a damaged cache file is detected and ignored.
 */
import { createHash } from 'node:crypto';
import { closeSync, createReadStream, openSync, readSync } from 'node:fs';
import { access, mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { endianness } from 'node:os';
import { join } from 'node:path';
import { temporarySibling } from '../artifacts/atomic.ts';
import { UserError } from '../errors.ts';
import { withPath } from '../util/folders.ts';
import { BYTE_VALUE, UNLABELED, type Dataset } from './dataset.ts';

const MAGIC = Buffer.from('SEMISUPC', 'latin1');
/** Bump when the file layout or a loader's decoding changes, so old cache files stop matching. */
/** 2: y may hold UNLABELED (−1) rows; the header carries the loader's warnings. 3: and tables' feature names. 4: and the dataset's fingerprint. */
export const CACHE_FORMAT_VERSION = 4;

interface CacheHeader {
  format: number;
  endianness: string;
  name: string;
  inputShape: number[];
  classNames: string[];
  officialTrainCount: number | null;
  warnings: string[];
  featureNames: string[] | null;
  /** datasetFingerprint of the data, computed when written (hashing 50 MB of float32 costs more than reading the file). */
  fingerprint: string;
  samples: number;
  xEncoding: 'u8' | 'f32';
  xBytes: number;
  yBytes: number;
  /** SHA-256 of the payload (x bytes then y bytes). */
  sha256: string;
}


/** SHA-256 of a file's content, streamed; cheap for dataset sources (≈ 11 MB of .gz for MNIST). */
export async function fileSha256(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/** Cache key for a decoded dataset: the loader's parameters plus each source file's content hash (not its path or mtime). */
export async function sourceFingerprint(sources: string[], params: unknown): Promise<string> {
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ format: CACHE_FORMAT_VERSION, params }));
  for (const digest of await Promise.all(sources.map(fileSha256))) hash.update(digest);
  return hash.digest('hex').slice(0, 20);
}

/**
 * Digest of many small files under the names they are known by (an image's class folder and path,
 * say): each name, size and content. Read synchronously one after another into one reused buffer:
 * for 20,000 small images that is faster than streams, many concurrent reads or a buffer per file,
 * and it is most of the cost of a cached load.
 */
export function namedFilesDigest(files: readonly { name: string; path: string }[]): string {
  const hash = createHash('sha256');
  let buffer = Buffer.allocUnsafe(1 << 20);
  for (const file of files) {
    const fd = openSync(file.path, 'r');
    let length = 0;
    try {
      for (;;) {
        if (length === buffer.length) buffer = Buffer.concat([buffer, Buffer.allocUnsafe(buffer.length)]);
        const read = readSync(fd, buffer, length, buffer.length - length, null);
        if (read === 0) break;
        length += read;
      }
    } finally {
      closeSync(fd);
    }
    hash.update(`${JSON.stringify(file.name)} ${length}\n`);
    hash.update(buffer.subarray(0, length));
  }
  return hash.digest('hex');
}

/** The fingerprints of datasets read from a cache file: computed when the file was written. */
const fingerprintsRead = new WeakMap<Dataset, string>();

/**
 * Short stable hash of a dataset's values, shape, class names and train/test boundary, for cache keys
 * of later stages. Values are hashed as float32 whether they are held as bytes or not, so the keys
 * do not depend on how a loader keeps them.
 */
export function datasetFingerprint(dataset: Dataset): string {
  const known = fingerprintsRead.get(dataset);
  if (known !== undefined) return known;
  const hash = createHash('sha256');
  hash.update(JSON.stringify({ inputShape: dataset.inputShape, classNames: dataset.classNames, officialTrainCount: dataset.officialTrainCount ?? null }));
  const { x } = dataset;
  if (x instanceof Float32Array) {
    hash.update(new Uint8Array(x.buffer, x.byteOffset, x.byteLength));
  } else {
    const chunk = new Float32Array(Math.min(x.length, 1 << 16));
    for (let start = 0; start < x.length; start += chunk.length) {
      const values = chunk.subarray(0, Math.min(chunk.length, x.length - start));
      for (let i = 0; i < values.length; i++) values[i] = BYTE_VALUE[x[start + i]];
      hash.update(new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
    }
  }
  hash.update(new Uint8Array(dataset.y.buffer, dataset.y.byteOffset, dataset.y.byteLength));
  return hash.digest('hex').slice(0, 16);
}

/** Path of the cache file for a source fingerprint. */
export function cacheFilePath(dataRoot: string, name: string, fingerprint: string): string {
  const safe = name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 60);
  return join(dataRoot, 'cache', `${safe}-${fingerprint}.bin`);
}

/** x as bytes when it is bytes, or every value is exactly k/255 (images), else undefined. */
function asBytes(x: Dataset['x']): Uint8Array | undefined {
  if (x instanceof Uint8Array) return x;
  const out = new Uint8Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    const k = Math.round(v * 255);
    if (!(k >= 0 && k <= 255) || BYTE_VALUE[k] !== v) return undefined;
    out[i] = k;
  }
  return out;
}

/** Write a dataset to a cache file atomically (temp file + rename), so readers never see half a file. */
export async function writeDatasetCache(file: string, dataset: Dataset): Promise<void> {
  const bytes = asBytes(dataset.x);
  const xPayload = bytes ?? new Uint8Array(dataset.x.buffer, dataset.x.byteOffset, dataset.x.byteLength);
  const yPayload = new Uint8Array(dataset.y.buffer, dataset.y.byteOffset, dataset.y.byteLength);
  const sha256 = createHash('sha256').update(xPayload).update(yPayload).digest('hex');
  const header: CacheHeader = {
    format: CACHE_FORMAT_VERSION,
    endianness: endianness(),
    name: dataset.name,
    inputShape: dataset.inputShape,
    classNames: dataset.classNames,
    officialTrainCount: dataset.officialTrainCount ?? null,
    warnings: dataset.warnings ?? [],
    featureNames: dataset.featureNames ?? null,
    fingerprint: datasetFingerprint(dataset),
    samples: dataset.y.length,
    xEncoding: bytes ? 'u8' : 'f32',
    xBytes: xPayload.byteLength,
    yBytes: yPayload.byteLength,
    sha256,
  };
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const prefix = Buffer.alloc(MAGIC.length + 4);
  MAGIC.copy(prefix, 0);
  prefix.writeUInt32LE(json.length, MAGIC.length);
  const dir = join(file, '..');
  await mkdir(dir, { recursive: true });
  const temp = temporarySibling(file);
  try {
    const handle = await open(temp, 'w');
    try {
      await handle.writev([prefix, json, xPayload, yPayload]);
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true });
    throw withPath(error, temp);
  }
}

/** Read a cache file; undefined when it is absent, from another format, or damaged (size or checksum mismatch). */
export async function readDatasetCache(file: string): Promise<Dataset | undefined> {
  let buf: Buffer;
  try {
    buf = await readFile(file);
  } catch {
    return undefined;
  }
  try {
    if (buf.length < MAGIC.length + 4 || !buf.subarray(0, MAGIC.length).equals(MAGIC)) return undefined;
    const jsonLength = buf.readUInt32LE(MAGIC.length);
    const start = MAGIC.length + 4 + jsonLength;
    if (start > buf.length) return undefined;
    const header = JSON.parse(buf.toString('utf8', MAGIC.length + 4, start)) as CacheHeader;
    if (header.format !== CACHE_FORMAT_VERSION || header.endianness !== endianness()) return undefined;
    const features = header.inputShape.reduce((a, b) => a * b, 1);
    const expectX = header.samples * features * (header.xEncoding === 'u8' ? 1 : 4);
    if (header.xBytes !== expectX || header.yBytes !== header.samples * 4) return undefined;
    if (buf.length !== start + header.xBytes + header.yBytes) return undefined;
    const xPayload = buf.subarray(start, start + header.xBytes);
    const yPayload = buf.subarray(start + header.xBytes);
    const sha256 = createHash('sha256').update(xPayload).update(yPayload).digest('hex');
    if (sha256 !== header.sha256) return undefined;
    let x: Dataset['x'];
    if (header.xEncoding === 'u8') {
      // Bytes stay bytes (Dataset.x), in the buffer just read.
      x = new Uint8Array(xPayload.buffer, xPayload.byteOffset, xPayload.byteLength);
    } else {
      x = new Float32Array(xPayload.buffer.slice(xPayload.byteOffset, xPayload.byteOffset + xPayload.byteLength));
    }
    const y = new Int32Array(yPayload.buffer.slice(yPayload.byteOffset, yPayload.byteOffset + yPayload.byteLength));
    for (const label of y) if (label < UNLABELED || label >= header.classNames.length) return undefined;
    const dataset: Dataset = { name: header.name, x, y, inputShape: header.inputShape, classNames: header.classNames };
    if (header.officialTrainCount !== null) dataset.officialTrainCount = header.officialTrainCount;
    if (header.warnings.length > 0) dataset.warnings = header.warnings;
    if (header.featureNames !== null) dataset.featureNames = header.featureNames;
    fingerprintsRead.set(dataset, header.fingerprint);
    return dataset;
  } catch {
    return undefined;
  }
}

export interface CachedLoadOptions {
  dataRoot: string;
  /** Name used in the cache file name (the dataset's name). */
  name: string;
  /** Files the dataset is decoded from; their contents key the cache. */
  sources: string[];
  /** Loader parameters that change the decoded result (class names, label column, …). */
  params: unknown;
  /** Decode from the sources (called on a cache miss). */
  decode: () => Promise<Dataset>;
  /** Told when a cache file is unusable and gets rebuilt. */
  onNote?: (message: string) => void;
}

/** Load through the cache: reuse a valid cache file for these exact sources, else decode and write one. */
export async function loadWithCache(options: CachedLoadOptions): Promise<{ dataset: Dataset; fromCache: boolean; cacheFile: string }> {
  const fingerprint = await sourceFingerprint(options.sources, options.params);
  const cacheFile = cacheFilePath(options.dataRoot, options.name, fingerprint);
  const cached = await readDatasetCache(cacheFile);
  if (cached) return { dataset: cached, fromCache: true, cacheFile };
  const existed = await access(cacheFile).then(() => true, () => false);
  if (existed) options.onNote?.(`${cacheFile}: cache file is damaged; decoding the sources again`);
  const dataset = await options.decode();
  await writeDatasetCache(cacheFile, dataset);
  return { dataset, fromCache: false, cacheFile };
}

/**
 * Where a loaded dataset is published for worker processes and other machines: named by its
 * content fingerprint (datasetFingerprint), so a job needs to carry only that fingerprint, and a
 * worker finds the data under its own cache folder whatever path the coordinator loaded it from.
 */
export function publishedDatasetPath(dataRoot: string, fingerprint: string): string {
  return join(dataRoot, 'cache', `dataset-${fingerprint}.bin`);
}

/** Publish a dataset under its fingerprint (once: an intact copy is left as it is). */
export async function publishDataset(dataRoot: string, dataset: Dataset, fingerprint: string): Promise<void> {
  const file = publishedDatasetPath(dataRoot, fingerprint);
  if (await readDatasetCache(file)) return;
  await writeDatasetCache(file, dataset);
}

/** The dataset published under `fingerprint`; an error when it is missing or damaged. */
export async function loadPublishedDataset(dataRoot: string, fingerprint: string): Promise<Dataset> {
  const file = publishedDatasetPath(dataRoot, fingerprint);
  const dataset = await readDatasetCache(file);
  // A worker's --cache-dir that is not the coordinator's (or not shared) is bad input, not a bug.
  if (!dataset) throw new UserError(`the dataset this job needs (${file}) is missing or damaged: give this worker the cache folder the coordinator uses (--cache-dir)`);
  return dataset;
}

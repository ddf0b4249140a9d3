/**
 * Fetching dataset files: one verified file at a time (temp file, checksum, rename), and the
 * named-dataset check that either finds the files, downloads them, or says what to do.
 */
import { createHash } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import { dirname, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { temporarySibling } from '../artifacts/atomic.ts';
import { UserError } from '../errors.ts';
import { findIdxFile } from './idx.ts';
import { NAMED_DATASETS, namedDatasetDir, type NamedDatasetName, type NamedDatasetSpec } from './registry.ts';

/** One progress report for one file; `total` is undefined when the server sends no length. */
export interface DownloadProgress {
  url: string;
  file: string;
  received: number;
  total?: number;
  /** Last report for this file: it is in place, or (failed) it was abandoned. */
  done: boolean;
  failed?: boolean;
}

export interface DownloadOptions {
  /** Expected MD5 (hex) of the whole file; give this or sha256 (or neither to skip the check). */
  md5?: string;
  /** Expected SHA-256 (hex) of the whole file. */
  sha256?: string;
  onProgress?: (progress: DownloadProgress) => void;
  /** Give up when the connection is idle this long (ms); default 60 s. */
  timeoutMs?: number;
}

/** A failed download: a UserError whose `reason` callers can re-word with their own advice. */
export class DownloadError extends UserError {
  constructor(readonly url: string, readonly reason: string) {
    super(`download of ${url} failed: ${reason}; check the network connection and try again`);
  }
}

class Failure extends Error {}

const MAX_REDIRECTS = 5;

/** Download url to dest through a temp file beside it, verifying the checksum before the rename, so dest is whole or absent. */
export async function downloadFile(url: string, dest: string, options: DownloadOptions = {}): Promise<void> {
  await mkdir(dirname(dest), { recursive: true });
  const temp = temporarySibling(dest);
  let received = 0;
  let total: number | undefined;
  let started = false;
  let finalUrl = url;
  const report = (done: boolean, failed = false) => {
    started = true;
    options.onProgress?.({ url: finalUrl, file: dest, received, total, done, ...(failed ? { failed } : {}) });
  };
  try {
    const opened = await openUrl(url, options.timeoutMs ?? 60_000);
    const response = opened.response;
    finalUrl = opened.finalUrl;
    const header = response.headers['content-length'];
    total = header === undefined ? undefined : Number(header);
    const hash = options.sha256 ? createHash('sha256') : options.md5 ? createHash('md5') : undefined;
    report(false);
    const meter = new Transform({
      transform(chunk: Buffer, _encoding, callback) {
        received += chunk.length;
        hash?.update(chunk);
        report(false);
        callback(null, chunk);
      },
    });
    try {
      await pipeline(response, meter, createWriteStream(temp));
    } catch (error) {
      const got = total === undefined ? `${received} bytes` : `${received} of ${total} bytes`;
      throw new Failure(`connection cut after ${got} (${describe(error)})`);
    }
    if (total !== undefined && received !== total) throw new Failure(`connection cut after ${received} of ${total} bytes`);
    if (hash) {
      const actual = hash.digest('hex');
      const expected = (options.sha256 ?? options.md5 ?? '').toLowerCase();
      const algorithm = options.sha256 ? 'SHA-256' : 'MD5';
      if (actual !== expected) throw new Failure(`${algorithm} checksum mismatch (got ${actual}, expected ${expected}), the file is corrupt or not the published one`);
    }
    await rename(temp, dest);
    report(true);
  } catch (error) {
    await rm(temp, { force: true });
    if (started) report(true, true);
    if (error instanceof Failure) throw new DownloadError(url, error.message);
    throw new DownloadError(url, describe(error));
  }
}

/** GET url, following redirects; resolves with a 2xx response or rejects with a Failure. */
function openUrl(url: string, timeoutMs: number, redirectsLeft = MAX_REDIRECTS): Promise<{ response: http.IncomingMessage; finalUrl: string }> {
  return new Promise((resolvePromise, reject) => {
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      reject(new Failure(`not a valid URL`));
      return;
    }
    const client = parsed.protocol === 'https:' ? https : parsed.protocol === 'http:' ? http : undefined;
    if (!client) {
      reject(new Failure(`unsupported protocol ${parsed.protocol}`));
      return;
    }
    const request = client.get(parsed, (response) => {
      const status = response.statusCode ?? 0;
      if (status >= 300 && status < 400 && response.headers.location) {
        response.resume();
        if (redirectsLeft === 0) {
          reject(new Failure(`too many redirects`));
          return;
        }
        openUrl(new URL(response.headers.location, parsed).href, timeoutMs, redirectsLeft - 1).then(resolvePromise, reject);
        return;
      }
      if (status < 200 || status >= 300) {
        response.resume();
        reject(new Failure(`HTTP ${status} ${response.statusMessage ?? ''}`.trim()));
        return;
      }
      resolvePromise({ response, finalUrl: parsed.href });
    });
    request.setTimeout(timeoutMs, () => request.destroy(new Failure(`no data for ${Math.round(timeoutMs / 1000)} s (timed out)`)));
    request.on('error', (error) => reject(error instanceof Failure ? error : new Failure(describe(error))));
  });
}

function describe(error: unknown): string {
  if (error instanceof Failure) return error.message;
  const e = error as NodeJS.ErrnoException;
  const hints: Record<string, string> = {
    ENOTFOUND: 'host not found',
    EAI_AGAIN: 'DNS lookup failed',
    ECONNREFUSED: 'connection refused',
    ECONNRESET: 'connection reset',
    ETIMEDOUT: 'connection timed out',
    ENETUNREACH: 'network unreachable',
    EHOSTUNREACH: 'host unreachable',
  };
  if (e?.code && hints[e.code]) return `${hints[e.code]} (${e.code})`;
  return e?.code ? `${e.message} (${e.code})` : String(e?.message ?? error);
}

export interface EnsureOptions {
  /** Download missing files (the CLI's `--download`); otherwise a missing file is a UserError. */
  download: boolean;
  /** Replace the registry's download bases (a mirror, or a loopback server in tests). */
  baseUrl?: string;
  onProgress?: (progress: DownloadProgress) => void;
  timeoutMs?: number;
}

/** Make sure a named dataset's four files are in `<dataRoot>/datasets/<name>/`, downloading them when allowed; returns that folder. */
export async function ensureNamedDataset(name: NamedDatasetName, dataRoot: string, options: EnsureOptions): Promise<string> {
  const spec = NAMED_DATASETS[name];
  const dir = namedDatasetDir(name, dataRoot);
  await ensureDatasetFiles(spec, dir, options);
  return dir;
}

/**
 * ensureNamedDataset for any spec and folder, so tests can use their own files and checksums.
 * Files already present (gzipped or not) are trusted, not re-checked: a local copy may be a re-compression.
 */
export async function ensureDatasetFiles(spec: NamedDatasetSpec, dir: string, options: EnsureOptions): Promise<void> {
  const missing = spec.files.filter((f) => findIdxFile(dir, f.file.replace(/\.gz$/, '')) === undefined);
  if (missing.length === 0) return;
  const bases = options.baseUrl ? [withSlash(options.baseUrl)] : spec.baseUrls;
  const where = resolve(dir);
  if (!options.download) {
    throw new UserError(
      `${spec.name}: ${missing.map((f) => f.file).join(', ')} not found in ${where}; put the files there (from ${bases[0]}) or pass --download`,
    );
  }
  for (const f of missing) {
    let lastError: DownloadError | undefined;
    for (const base of bases) {
      try {
        await downloadFile(base + f.file, join(dir, f.file), { md5: f.md5, onProgress: options.onProgress, timeoutMs: options.timeoutMs });
        lastError = undefined;
        break;
      } catch (error) {
        if (!(error instanceof DownloadError)) throw error;
        lastError = error;
      }
    }
    if (lastError) {
      throw new UserError(
        `${spec.name}: could not download ${f.file} from ${lastError.url} (${lastError.reason}); check the network and retry, or fetch the file by hand into ${where}`,
      );
    }
  }
}

function withSlash(url: string): string {
  return url.endsWith('/') ? url : `${url}/`;
}

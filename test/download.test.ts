import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { downloadFile, ensureDatasetFiles, ensureNamedDataset, type DownloadProgress } from '../src/data/download.ts';
import { createDownloadProgress } from '../src/data/download-progress.ts';
import { loadIdxDataset } from '../src/data/idx.ts';
import type { NamedDatasetSpec } from '../src/data/registry.ts';
import { UserError } from '../src/errors.ts';
import { idxImages, idxLabels } from './fixtures/idx-fixture.ts';

const payload = Buffer.from(Array.from({ length: 50_000 }, (_, i) => (i * 7919) % 251));
const md5 = (b: Buffer) => createHash('md5').update(b).digest('hex');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

const idxFiles: Record<string, Buffer> = {
  'train-images-idx3-ubyte.gz': gzipSync(idxImages(4, 2, 2, (i, p) => i + p)),
  'train-labels-idx1-ubyte.gz': gzipSync(idxLabels([0, 1, 0, 1])),
  't10k-images-idx3-ubyte.gz': gzipSync(idxImages(2, 2, 2, (i, p) => 9 * i + p)),
  't10k-labels-idx1-ubyte.gz': gzipSync(idxLabels([1, 0])),
};

let server: http.Server;
let base = '';
let requests: string[] = [];

before(async () => {
  server = http.createServer((req, res) => {
    const url = req.url ?? '/';
    requests.push(url);
    if (url === '/ok/file.bin') {
      res.writeHead(200, { 'content-length': payload.length });
      res.end(payload);
    } else if (url === '/redirect') {
      res.writeHead(302, { location: '/ok/file.bin' });
      res.end();
    } else if (url === '/cut') {
      res.writeHead(200, { 'content-length': payload.length });
      res.write(payload.subarray(0, 20_000), () => setTimeout(() => res.socket?.destroy(), 20));
    } else if (url === '/chunked-cut') {
      res.writeHead(200); // chunked, no length
      res.write(payload.subarray(0, 20_000), () => setTimeout(() => res.socket?.destroy(), 20));
    } else if (url.startsWith('/idx/') && idxFiles[url.slice(5)]) {
      const body = idxFiles[url.slice(5)];
      res.writeHead(200, { 'content-length': body.length });
      res.end(body);
    } else {
      res.writeHead(404, { 'content-type': 'text/plain' });
      res.end('not here');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(async () => {
  server.closeAllConnections();
  await new Promise<void>((r) => server.close(() => r()));
});

function tempDir(): string {
  return mkdtempSync(join(tmpdir(), 'semisup-dl-'));
}

async function failsCleanly(url: string, options: Parameters<typeof downloadFile>[2], problem: RegExp): Promise<void> {
  const dir = tempDir();
  try {
    const dest = join(dir, 'file.bin');
    await assert.rejects(downloadFile(url, dest, options), (error: unknown) => {
      assert.ok(error instanceof UserError, String(error));
      assert.ok(error.message.includes(url), error.message);
      assert.match(error.message, problem);
      assert.ok(!error.message.includes('\n'));
      return true;
    });
    assert.deepEqual(readdirSync(dir), [], 'no partial or temp file left behind');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('download: success verifies MD5 and SHA-256, reports progress, leaves only dest', async () => {
  const dir = tempDir();
  try {
    const dest = join(dir, 'sub', 'file.bin');
    const seen: DownloadProgress[] = [];
    await downloadFile(`${base}/ok/file.bin`, dest, { md5: md5(payload), onProgress: (p) => seen.push(p) });
    assert.deepEqual(readFileSync(dest), payload);
    assert.deepEqual(readdirSync(join(dir, 'sub')), ['file.bin']);
    assert.equal(seen.at(-1)?.done, true);
    assert.equal(seen.at(-1)?.received, payload.length);
    assert.equal(seen.at(-1)?.total, payload.length);
    await downloadFile(`${base}/redirect`, dest, { sha256: sha256(payload) });
    assert.deepEqual(readFileSync(dest), payload);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('download: wrong checksum removes the temp file', async () => {
  await failsCleanly(`${base}/ok/file.bin`, { md5: '0'.repeat(32) }, /MD5 checksum mismatch/);
  await failsCleanly(`${base}/ok/file.bin`, { sha256: 'f'.repeat(64) }, /SHA-256 checksum mismatch/);
});

test('download: connection cut mid-file removes the temp file', async () => {
  await failsCleanly(`${base}/cut`, {}, /connection cut after \d+ of 50000 bytes/);
  const seen: DownloadProgress[] = [];
  await failsCleanly(`${base}/chunked-cut`, { onProgress: (p) => seen.push(p) }, /connection cut after/);
  assert.equal(seen.at(-1)?.done, true, 'a final report lets a progress bar stop');
  assert.equal(seen.at(-1)?.failed, true);
});

test('download: HTTP 404 leaves nothing behind', async () => {
  await failsCleanly(`${base}/nope.gz`, { md5: md5(payload) }, /HTTP 404/);
});

test('download: refused connection is one line', async () => {
  const probe = http.createServer();
  await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
  const port = (probe.address() as AddressInfo).port;
  await new Promise<void>((r) => probe.close(() => r()));
  await failsCleanly(`http://127.0.0.1:${port}/x`, {}, /connection refused/);
});

const spec: NamedDatasetSpec = {
  name: 'mnist',
  title: 'fixture',
  homepage: '',
  license: '',
  baseUrls: ['http://invalid.invalid/'],
  files: Object.entries(idxFiles).map(([file, bytes]) => ({ file, md5: md5(bytes) })),
  classNames: ['a', 'b'],
};

test('ensureDatasetFiles downloads missing files from baseUrl and the folder then loads', async () => {
  const dir = tempDir();
  try {
    requests = [];
    const lines: string[] = [];
    const stream = { isTTY: false, write: (s: string) => lines.push(s) } as unknown as NodeJS.WriteStream;
    await ensureDatasetFiles(spec, dir, { download: true, baseUrl: `${base}/idx`, onProgress: createDownloadProgress(stream) });
    assert.deepEqual(readdirSync(dir).sort(), Object.keys(idxFiles).sort());
    assert.ok(lines.some((l) => l.startsWith('downloading train-images-idx3-ubyte.gz')));
    const ds = await loadIdxDataset(dir, { classNames: spec.classNames });
    assert.equal(ds.officialTrainCount, 4);
    // Present files are not fetched again.
    const before = requests.length;
    await ensureDatasetFiles(spec, dir, { download: true, baseUrl: `${base}/idx` });
    assert.equal(requests.length, before);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('ensureNamedDataset without --download names the missing files, the folder and the flag', async () => {
  const root = tempDir();
  try {
    writeFileSync(join(root, 'placeholder'), '');
    await assert.rejects(ensureNamedDataset('fashion-mnist', root, { download: false }), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /^fashion-mnist: train-images-idx3-ubyte\.gz, .*t10k-labels-idx1-ubyte\.gz not found in .*datasets\/fashion-mnist; put the files there .* or pass --download$/);
      return true;
    });
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

test('ensureNamedDataset rejects a file whose checksum is not the published one, and reports network failure', async () => {
  const root = tempDir();
  try {
    await assert.rejects(ensureNamedDataset('mnist', root, { download: true, baseUrl: `${base}/idx/` }), (error: unknown) => {
      assert.ok(error instanceof UserError);
      assert.match(error.message, /^mnist: could not download train-images-idx3-ubyte\.gz from .*\(MD5 checksum mismatch .*\); check the network and retry, or fetch the file by hand into /);
      return true;
    });
    assert.equal(existsSync(join(root, 'datasets', 'mnist', 'train-images-idx3-ubyte.gz')), false);
    assert.deepEqual(readdirSync(join(root, 'datasets', 'mnist')), []);
    await assert.rejects(ensureNamedDataset('kmnist', root, { download: true, baseUrl: 'http://127.0.0.1:1/' }), /kmnist: could not download .*connection refused/);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
});

/** Content keys: a short hash of exactly what determines a stage's output. */
import crypto from 'node:crypto';
import fs from 'node:fs';

/** JSON with object keys sorted, so equal values always serialise identically. */
export function stableStringify(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableStringify(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** 16 hex characters of SHA-256 over the value's stable JSON. */
export function hashOf(value: unknown): string {
  return crypto.createHash('sha256').update(stableStringify(value)).digest('hex').slice(0, 16);
}

/** Full SHA-256 of bytes, for verifying stored files. */
export function sha256(data: Uint8Array | string): string {
  return crypto.createHash('sha256').update(data).digest('hex');
}

/** One buffer every file is read through: allocating a buffer per file costs more than reading it. */
let readBuffer: Buffer | undefined;

/** A file's size and full SHA-256, read in pieces through one reused buffer. */
export function fileDigest(file: string): { bytes: number; sha256: string } {
  readBuffer ??= Buffer.allocUnsafe(1 << 20);
  const hash = crypto.createHash('sha256');
  const fd = fs.openSync(file, 'r');
  let bytes = 0;
  try {
    for (let read; (read = fs.readSync(fd, readBuffer, 0, readBuffer.length, null)) > 0; bytes += read) hash.update(readBuffer.subarray(0, read));
  } finally {
    fs.closeSync(fd);
  }
  return { bytes, sha256: hash.digest('hex') };
}

/**
 * Atomic file writes: a reader (or a crash) never sees a half-written file,
 * because data goes to a temp file in the same folder and is then renamed
 * over the target (rename is atomic within one file system).
 */
import { mkdir, rename, unlink, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

let counter = 0;

/** Temp path beside `path` (same folder, so the rename stays on one file system); `.tmp-*` is git-ignored. */
export function temporarySibling(path: string): string {
  counter += 1;
  return join(dirname(path), `.tmp-${basename(path)}-${process.pid}-${counter}`);
}

/** Write `data` to `path` atomically (temp file + rename), creating the folder if needed, so readers never see partial files. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  await mkdir(dirname(path), { recursive: true });
  const tmp = temporarySibling(path);
  try {
    await writeFile(tmp, data);
    await rename(tmp, path);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

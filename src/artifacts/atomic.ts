/**
 * Atomic writes: a reader (or a crash) never sees a half-written file or
 * folder, because data goes to a temporary sibling in the same folder and is
 * then renamed over the target (rename is atomic within one file system).
 */
import { mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { hostname } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { createFolder, withPath } from '../util/folders.ts';

let counter = 0;

/**
 * Temp path beside `path` (same folder, so the rename stays on one file system); `.tmp-*` is git-ignored.
 * The name ends in @<host>-<pid>-<n>, so a later run can tell a leftover of a killed process (stale.ts).
 */
export function temporarySibling(path: string): string {
  counter += 1;
  return join(dirname(path), `.tmp-${basename(path)}@${hostname()}-${process.pid}-${counter}`);
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
    throw withPath(err, tmp);
  }
}

/**
 * Write a folder as a whole: `fill` writes into a temporary sibling, which
 * then takes the place of `target` (whose old content is removed only after
 * the new one is complete). A failure in `fill` or in `beforeSwap` removes the
 * temporary folder and leaves `target` as it was.
 */
export async function writeFolderAtomic(target: string, fill: (staging: string) => Promise<void>, beforeSwap: () => void = () => undefined): Promise<void> {
  createFolder(dirname(target));
  const staging = temporarySibling(target);
  await mkdir(staging);
  try {
    await fill(staging);
    beforeSwap();
    if (existsSync(target)) {
      const old = temporarySibling(target);
      await rename(target, old);
      await rename(staging, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(staging, target);
    }
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/**
 * Atomic file writes: a reader (or a crash) never sees a half-written file,
 * because data goes to a temp file in the same folder and is then renamed
 * over the target (rename is atomic within one file system).
 */
import { mkdir, rename, rm, unlink, writeFile } from 'node:fs/promises';
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

/**
 * Write a folder of files atomically: into a temp folder beside it, then renamed into place (an
 * existing folder of that name is moved aside first and removed after), so a reader finds either
 * the old folder or the whole new one.
 */
export async function writeFolderAtomic(dir: string, files: Record<string, string | Uint8Array>): Promise<void> {
  await mkdir(dirname(dir), { recursive: true });
  const fresh = temporarySibling(dir);
  const old = temporarySibling(dir);
  let movedAside = false;
  try {
    await mkdir(fresh);
    for (const [name, data] of Object.entries(files)) await writeFile(join(fresh, name), data);
    await rename(dir, old).then(() => { movedAside = true; }, (error: NodeJS.ErrnoException) => { if (error.code !== 'ENOENT') throw error; });
    try {
      await rename(fresh, dir);
    } catch (error) {
      if (movedAside) await rename(old, dir);
      movedAside = false;
      throw error;
    }
  } finally {
    await rm(fresh, { recursive: true, force: true });
    if (movedAside) await rm(old, { recursive: true, force: true });
  }
}

/** Writes that are never seen half-done: write a temporary sibling, then rename over the target. */
import fs from 'node:fs';
import path from 'node:path';

let counter = 0;

/** A unique temporary path beside `target` (same folder, so the rename is atomic). */
export function temporarySibling(target: string): string {
  counter += 1;
  return path.join(path.dirname(target), `.tmp-${path.basename(target)}-${process.pid}-${Date.now()}-${counter}`);
}

/** Write a file atomically: readers see the old content or the new, never a part. */
export function writeFileAtomic(target: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const tmp = temporarySibling(target);
  try {
    fs.writeFileSync(tmp, data);
    fs.renameSync(tmp, target);
  } catch (error) {
    fs.rmSync(tmp, { force: true });
    throw error;
  }
}

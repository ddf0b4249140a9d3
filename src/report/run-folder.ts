/** Where a run's report goes when --out does not say. */
import fs from 'node:fs';
import path from 'node:path';

/** A run id that sorts by time and is safe as a folder name, e.g. 2026-11-29T09-29-41. */
export function newRunId(now: Date): string {
  return now.toISOString().replace(/\..*$/, '').replace(/:/g, '-');
}

/** Create <reportsRoot>/<id> (or <id>-2, -3, … when two runs start in the same second) and return it. */
export function claimRunDir(reportsRoot: string, runId: string): string {
  fs.mkdirSync(reportsRoot, { recursive: true });
  for (let n = 1; ; n++) {
    const dir = path.join(reportsRoot, n === 1 ? runId : `${runId}-${n}`);
    try {
      fs.mkdirSync(dir);
      return dir;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
}

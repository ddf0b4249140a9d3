/**
 * Leftovers of killed processes: the temporary files and folders
 * (atomic.ts's `.tmp-<name>@<host>-<pid>-<n>`) that a process killed in the
 * middle of a write leaves behind. One is stale when the process named in it
 * ran on this machine and is gone; a temporary that any live process, or a
 * process on another machine sharing the folder, may still be writing is
 * never touched.
 */
import fs from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';

/** The writer recorded in a temporary's name, or undefined for a name without one (older versions). */
export function temporaryOwner(name: string): { host: string; pid: number } | undefined {
  const match = /^\.tmp-.*@([^@/]+)-(\d+)-\d+$/.exec(name);
  return match ? { host: match[1], pid: Number(match[2]) } : undefined;
}

/** True when a process with this id runs on this machine (a process we may not signal still runs). */
function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** 'stale' when the temporary's writer ran here and is gone, 'live' when it runs, 'unknown' when its name cannot tell. */
export function temporaryState(name: string): 'stale' | 'live' | 'unknown' {
  const owner = temporaryOwner(name);
  if (!owner || owner.host !== hostname()) return 'unknown';
  return owner.pid !== process.pid && !processAlive(owner.pid) ? 'stale' : 'live';
}

/**
 * Remove the stale temporaries (see temporaryState) directly inside each of
 * `folders`; folders that do not exist are skipped. Returns what was removed.
 */
export function removeStaleTemporaries(folders: string[]): string[] {
  const removed: string[] = [];
  for (const folder of folders) {
    let names: string[];
    try {
      names = fs.readdirSync(folder);
    } catch {
      continue;
    }
    for (const name of names) {
      if (!name.startsWith('.tmp-') || temporaryState(name) !== 'stale') continue;
      const target = path.join(folder, name);
      fs.rmSync(target, { recursive: true, force: true });
      removed.push(target);
    }
  }
  return removed;
}

/**
 * Folders semisup writes into: created one level at a time, probed for
 * writability before any work starts, and file-system failures (a full disk,
 * a read-only mount, a denied permission) turned into one line that names
 * the path and what to do.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UserError } from '../errors.ts';
import { displayPath } from './user-paths.ts';

/** Error codes that mean "the file system refused", not "semisup has a bug". */
const FILE_SYSTEM_CODES: Record<string, string> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'the disk quota is used up',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOTDIR: 'part of the path is a file, not a folder',
  EIO: 'an input/output error of the device',
};

/** Whether `dir` exists and is a folder (following links). */
export function isFolder(dir: string): boolean {
  return fs.existsSync(dir) && fs.statSync(dir).isDirectory();
}

/**
 * Create `dir` and any missing parents, one level at a time; returns the
 * first folder it created (undefined when `dir` existed). Node's recursive
 * mkdir retries forever where a parent exists but refuses children (/proc),
 * which hangs the process beyond the reach of Ctrl-C; this stops at the first refusal.
 */
export function createFolder(dir: string): string | undefined {
  const target = path.resolve(dir);
  const missing: string[] = [];
  let probe = target;
  while (!fs.existsSync(probe)) {
    missing.unshift(probe);
    const parent = path.dirname(probe);
    if (parent === probe) break;
    probe = parent;
  }
  if (fs.existsSync(probe) && !fs.statSync(probe).isDirectory()) {
    throw Object.assign(new Error(`${probe} is a file`), { code: 'ENOTDIR', path: probe });
  }
  for (const folder of missing) {
    try {
      fs.mkdirSync(folder);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
  }
  return missing[0];
}

/** The reason a file-system error gives, in words, or undefined when it is not one of those. */
function fileSystemReason(error: unknown): string | undefined {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  return code === undefined ? undefined : FILE_SYSTEM_CODES[code];
}

/**
 * Check before any work that `dir` can hold semisup's files: it is (or can be
 * made) a folder, a file can be written in it and, with `beside`, a folder
 * can be made next to it (where a run folder is built before it is swapped in).
 * Leaves nothing behind. `what` names the folder for the message, e.g. "--out x".
 */
export function checkWritableFolder(what: string, dir: string, options: { beside?: boolean } = {}): void {
  const target = path.resolve(dir);
  if (fs.existsSync(target) && !fs.statSync(target).isDirectory()) {
    throw new UserError(`${what} is a file, not a folder: give a folder path.`);
  }
  let created: string | undefined;
  const besideProbe = path.join(path.dirname(target), `.tmp-write-probe-${path.basename(target)}-${process.pid}`);
  try {
    created = createFolder(target);
    const probe = path.join(target, `.tmp-write-probe-${process.pid}`);
    fs.writeFileSync(probe, '');
    fs.rmSync(probe);
    if (options.beside) {
      fs.mkdirSync(besideProbe);
      fs.rmdirSync(besideProbe);
    }
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    const reason = fileSystemReason(error) ?? (code === 'ENOENT' ? 'folders cannot be created there' : code);
    const where = options.beside && (error as NodeJS.ErrnoException).path === besideProbe ? ` (its parent folder ${displayPath(path.dirname(target))} must be writable too)` : '';
    throw new UserError(`${what} is not writable (${reason}${code !== reason ? `, ${code}` : ''})${where}: give a folder you can write to.`);
  } finally {
    if (created) fs.rmSync(created, { recursive: true, force: true });
  }
}

/**
 * The one line for an error the file system raised while semisup was writing
 * or reading (a full disk, a read-only mount, …), naming the path and the fix;
 * undefined for any other error, which is then a bug.
 */
export function fileSystemErrorMessage(error: unknown): string | undefined {
  const reason = fileSystemReason(error);
  // A copy or rename that fails at its destination names the destination.
  const errno = error as (NodeJS.ErrnoException & { dest?: string }) | undefined;
  const file = errno?.dest ?? errno?.path;
  if (reason === undefined || typeof file !== 'string') return undefined;
  // A temporary file or folder is an implementation detail (and gone by now): name the folder it was written in.
  const parts = path.resolve(file).split(path.sep);
  const firstTemporary = parts.findIndex((part) => part.startsWith('.tmp-'));
  const shown = firstTemporary > 0 ? parts.slice(0, firstTemporary).join(path.sep) || path.sep : file;
  const code = (error as NodeJS.ErrnoException).code;
  const fix = code === 'ENOSPC' || code === 'EDQUOT'
    ? 'free some space (npm run clean removes cached outputs) or give --cache-dir or --out a folder on another disk'
    : 'make it writable, or give --cache-dir or --out a folder you can write to';
  return `${displayPath(path.resolve(shown))}: ${reason} (${code}): ${fix}; earlier results are untouched and finished jobs stay cached, so rerunning then resumes.`;
}

/**
 * Give a file-system error the path it concerns when it lacks one: a write
 * through an open file (writeFile, writev) fails with ENOSPC but no path.
 * Returns the error, for `throw withPath(error, file)`.
 */
export function withPath(error: unknown, file: string): unknown {
  const errno = error as NodeJS.ErrnoException | undefined;
  if (errno && typeof errno === 'object' && typeof errno.code === 'string' && errno.path === undefined) errno.path = file;
  return error;
}

/** The error as a UserError when the file system raised it (see fileSystemErrorMessage), else unchanged. */
export function asFileSystemUserError(error: unknown): unknown {
  const message = fileSystemErrorMessage(error);
  return message === undefined ? error : new UserError(message);
}

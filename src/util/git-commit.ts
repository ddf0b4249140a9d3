/**
 * The commit a source checkout is at, for the record of a run. Read from the repository's own files
 * (HEAD, the ref it names, packed-refs; a worktree's .git file points to its folder): starting
 * `git` costs more than all the rest of a fully cached rerun's report. `git rev-parse` answers
 * where the files do not tell (another ref storage, say); no repository: undefined.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';

const SHA = /^[0-9a-f]{40}$/;

function readText(file: string): string | undefined {
  try {
    return fs.readFileSync(file, 'utf8').trim();
  } catch {
    return undefined;
  }
}

/** The git folder of the checkout holding `dir` (a worktree's .git is a file naming it). */
function gitFolder(dir: string): string | undefined {
  for (let at = path.resolve(dir); ; at = path.dirname(at)) {
    const dotGit = path.join(at, '.git');
    if (fs.existsSync(dotGit)) {
      if (fs.statSync(dotGit).isDirectory()) return dotGit;
      const pointer = /^gitdir: (.+)$/m.exec(readText(dotGit) ?? '');
      return pointer ? path.resolve(at, pointer[1]) : undefined;
    }
    if (path.dirname(at) === at) return undefined;
  }
}

/** HEAD's commit, from the files alone (undefined when they do not say). */
function fromFiles(gitDir: string): string | undefined {
  const head = readText(path.join(gitDir, 'HEAD'));
  if (head === undefined) return undefined;
  if (SHA.test(head)) return head;
  const ref = /^ref: (\S+)$/.exec(head)?.[1];
  if (!ref) return undefined;
  const common = path.resolve(gitDir, readText(path.join(gitDir, 'commondir')) ?? '.');
  for (const folder of [gitDir, common]) {
    const loose = readText(path.join(folder, ref));
    if (loose && SHA.test(loose)) return loose;
  }
  for (const line of (readText(path.join(common, 'packed-refs')) ?? '').split('\n')) {
    const [sha, name] = line.split(' ');
    if (name === ref && SHA.test(sha)) return sha;
  }
  return undefined;
}

export function gitCommit(dir: string): string | undefined {
  const gitDir = gitFolder(dir);
  if (!gitDir) return undefined;
  const commit = fromFiles(gitDir);
  if (commit) return commit;
  try {
    return execFileSync('git', ['rev-parse', 'HEAD'], { cwd: dir, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
  } catch {
    return undefined;
  }
}

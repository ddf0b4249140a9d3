import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { gitCommit } from '../src/util/git-commit.ts';
import { tempFolder } from './fixtures/cli.ts';

const git = (cwd: string, ...args: string[]) => execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@t', ...args], { cwd, stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();

test('gitCommit reads what git rev-parse HEAD says: a branch, packed refs, a detached HEAD, a worktree; nothing outside a repository', () => {
  const repo = path.join(tempFolder('git'), 'repo');
  fs.mkdirSync(path.join(repo, 'src'), { recursive: true });
  git(repo, 'init', '-q');
  for (const n of [1, 2]) {
    fs.writeFileSync(path.join(repo, 'src', 'f.txt'), String(n));
    git(repo, 'add', '.');
    git(repo, 'commit', '-q', '-m', `c${n}`);
  }
  const head = () => git(repo, 'rev-parse', 'HEAD');
  assert.equal(gitCommit(path.join(repo, 'src')), head(), 'a loose branch ref');
  git(repo, 'pack-refs', '--all');
  assert.ok(!fs.existsSync(path.join(repo, '.git', 'refs', 'heads', git(repo, 'branch', '--show-current'))), 'the ref is packed');
  assert.equal(gitCommit(repo), head(), 'a packed ref');
  git(repo, 'checkout', '-q', 'HEAD~1');
  assert.equal(gitCommit(repo), head(), 'a detached HEAD');
  const worktree = path.join(path.dirname(repo), 'other');
  git(repo, 'worktree', 'add', '-q', '-b', 'side', worktree);
  fs.writeFileSync(path.join(worktree, 'g.txt'), 'x');
  git(worktree, 'add', '.');
  git(worktree, 'commit', '-q', '-m', 'side');
  assert.equal(gitCommit(worktree), git(worktree, 'rev-parse', 'HEAD'), 'a worktree (.git is a file)');
  assert.notEqual(gitCommit(worktree), gitCommit(repo));
  assert.equal(gitCommit(path.dirname(repo)), undefined);
});

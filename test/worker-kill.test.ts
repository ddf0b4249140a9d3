import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { runCli, tempFolder } from './fixtures/cli.ts';
import { tinyCsvArgs, writeTinyCsv } from './fixtures/tiny-csv.ts';

/** The child processes of a process (Linux: /proc/<pid>/task/<pid>/children). */
function childrenOf(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
  } catch {
    return [];
  }
}

test('a worker killed by the system (kill -9, out of memory) is said plainly, with "rerunning resumes", and it does (issue 15, case 6)', { skip: fs.existsSync('/proc/self/task') ? false : 'needs /proc to find the worker processes' }, async () => {
  const cwd = tempFolder('worker-kill');
  writeTinyCsv(path.join(cwd, 't.csv'));
  // long pretraining, two workers: kill them while they train
  const args = [...tinyCsvArgs('t.csv', 2).map((a, i, all) => (all[i - 1] === '--pretrain-epochs' ? '10000' : a)), '--out', 'r'];
  let killed = 0;
  const result = await runCli('run.ts', args, cwd, {
    timeoutMs: 300_000,
    onStdout: (text, _kill, pid) => {
      if (killed > 0 || !/pretrain seed \d: running/.test(text)) return;
      for (const worker of childrenOf(pid)) {
        process.kill(worker, 'SIGKILL');
        killed++;
      }
    },
  });
  assert.ok(killed > 0, 'no worker process was found to kill');
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  // (a worker may still be starting when its first job is announced)
  assert.match(lines[0], /^error: a worker process was killed \(SIGKILL\) (while running [a-z-]+ seed \d[^,]*|while it was starting), most likely by the system when memory ran out: finished jobs are cached, so rerunning the command resumes/);
  // rerunning resumes: the finished splits are cached, only what was cut off is to run
  const again = await runCli('run.ts', [...args, '--dry-run'], cwd);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /prepare seed \d\s+[0-9a-f]{16}\s+cached/);
  assert.match(again.stdout, /pretrain seed \d\s+[0-9a-f]{16}\s+to run/);
});

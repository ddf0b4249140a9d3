import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import { test } from 'node:test';
import { removeStaleTemporaries, temporaryOwner, temporaryState } from '../src/artifacts/stale.ts';
import { temporarySibling } from '../src/artifacts/atomic.ts';
import { runCli, tempFolder } from './fixtures/cli.ts';
import { tinyCsvArgs, writeTinyCsv } from './fixtures/tiny-csv.ts';

/** The id of a process that has exited (a pid no live process owns, barring reuse). */
function deadPid(): number {
  return Number(spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout);
}

test('a temporary names its writer; only one whose writer on this machine is gone is stale', () => {
  const mine = path.basename(temporarySibling('/x/0123456789abcdef'));
  assert.deepEqual(temporaryOwner(mine), { host: hostname(), pid: process.pid });
  assert.equal(temporaryState(mine), 'live');
  assert.equal(temporaryState(`.tmp-0123456789abcdef@${hostname()}-${deadPid()}-1`), 'stale');
  assert.equal(temporaryState(`.tmp-0123456789abcdef@another-machine-${deadPid()}-1`), 'unknown');
  assert.equal(temporaryState('.tmp-0123456789abcdef-123-1'), 'unknown', 'an older name without its host');
});

test('a later run clears the temporaries a killed run left, and only those (issue 15, case 12)', async () => {
  const cwd = tempFolder('stale');
  writeTinyCsv(path.join(cwd, 't.csv'));
  const args = [...tinyCsvArgs('t.csv'), '--out', 'r'];
  const dead = deadPid();
  // what a kill at the moment of a commit leaves: a half-written entry, a half-written dataset cache file
  const stale = [`pretrain/.tmp-0123456789abcdef@${hostname()}-${dead}-1`, `cache/.tmp-t.csv-0123@${hostname()}-${dead}-2`];
  // what a run still writing (this process), another machine, or an older version left must stay
  const kept = [`finetune/.tmp-0123456789abcdef@${hostname()}-${process.pid}-1`, `baseline/.tmp-0123456789abcdef@elsewhere-${dead}-1`, 'prepare/.tmp-0123456789abcdef-1-1'];
  for (const name of [...stale, ...kept]) {
    const target = path.join(cwd, 'data', name);
    fs.mkdirSync(path.dirname(target), { recursive: true });
    if (name.startsWith('cache/')) fs.writeFileSync(target, 'half a dataset');
    else fs.mkdirSync(target);
  }
  const again = await runCli('run.ts', args, cwd);
  assert.equal(again.code, 0, again.stderr);
  assert.match(again.stdout, /removed 2 unfinished temporary writes left by a killed run/);
  for (const name of stale) assert.ok(!fs.existsSync(path.join(cwd, 'data', name)), `${name} is still there`);
  for (const name of kept) assert.ok(fs.existsSync(path.join(cwd, 'data', name)), `${name} was removed`);
  assert.deepEqual(removeStaleTemporaries([path.join(cwd, 'data', 'pretrain'), path.join(cwd, 'nothing-here')]), []);
});

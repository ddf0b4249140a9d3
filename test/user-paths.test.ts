import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildReport } from '../src/report/build-report.ts';
import { invocationDir } from '../src/util/user-paths.ts';
import { PROJECT_ROOT, tempFolder, type CliResult } from './fixtures/cli.ts';
import { writeFakeRun } from './fixtures/fake-run.ts';
import { tinyCsvArgs, writeTinyCsv } from './fixtures/tiny-csv.ts';

/** `npm run <script> -- args` typed in `cwd` for this project (npm moves to the project folder and sets INIT_CWD). */
function npmRun(script: string, args: string[], cwd: string): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', script, '--prefix', PROJECT_ROOT, '--', ...args], { cwd, env: { ...process.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => { stdout += chunk.toString(); });
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

test('INIT_CWD counts only when npm started the process in the package folder', () => {
  const npm = { INIT_CWD: '/home/me/work', npm_package_json: '/opt/semisup/package.json' };
  assert.equal(invocationDir(npm, '/opt/semisup'), '/home/me/work');
  // a process started elsewhere (a test, another tool) inherits npm's variables without its change of folder
  assert.equal(invocationDir(npm, '/tmp/elsewhere'), '/tmp/elsewhere');
  assert.equal(invocationDir({}, '/opt/semisup'), '/opt/semisup');
});

test('relative paths typed after npm run mean what they mean in the folder they were typed in (issue 15, case 9)', async () => {
  const cwd = tempFolder('init-cwd');
  // npm run report -- run: the run folder beside the user, not one in the project folder
  await writeFakeRun(path.join(cwd, 'run'));
  await buildReport(path.join(cwd, 'run'), { reportsRoot: false });
  const report = await npmRun('report', ['run', '--no-index'], cwd);
  assert.equal(report.code, 0, report.stderr);
  assert.match(report.stdout, /^report written to run\/report\.html \(and run\/report\.md\)$/m);
  // npm run pipeline -- --csv ./t.csv --cache-dir ./cache: both beside the user
  writeTinyCsv(path.join(cwd, 't.csv'));
  const plan = await npmRun('pipeline', [...tinyCsvArgs('./t.csv'), '--cache-dir', './cache', '--dry-run'], cwd);
  assert.equal(plan.code, 0, plan.stderr);
  assert.match(plan.stdout, /pretrain seed 1\s+[0-9a-f]{16}\s+to run/);
  assert.ok(fs.existsSync(path.join(cwd, 'cache', 'cache')), 'the decoded dataset was not cached in ./cache');
  assert.ok(!fs.existsSync(path.join(PROJECT_ROOT, 'cache')), 'a folder landed in the project folder');
  // npm run clean -- --cache-dir ./cache --datasets --dry-run
  const clean = await npmRun('clean', ['--cache-dir', './cache', '--datasets', '--dry-run'], cwd);
  assert.equal(clean.code, 0, clean.stderr);
  assert.match(clean.stdout, /^would remove cache\/cache\/t\.csv-[0-9a-f]{20}\.bin$/m);
});

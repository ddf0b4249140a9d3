import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { buildReport } from '../src/report/build-report.ts';
import { createFolder, fileSystemErrorMessage } from '../src/util/folders.ts';
import { mountSkipReason, runCli, tempFolder } from './fixtures/cli.ts';
import { writeFakeRun } from './fixtures/fake-run.ts';
import { tinyCsvArgs, writeTinyCsv } from './fixtures/tiny-csv.ts';

const noMounts = mountSkipReason();

function oneLineError(result: { code: number | null; stderr: string }, pattern: RegExp): void {
  assert.equal(result.code, 2, result.stderr);
  const lines = result.stderr.trim().split('\n');
  assert.equal(lines.length, 1, result.stderr);
  assert.match(lines[0], pattern);
}

test('--out and --cache-dir under /proc end at once with one line instead of hanging (issue 15, case 4)', async () => {
  const cwd = tempFolder('proc');
  writeTinyCsv(path.join(cwd, 't.csv'));
  for (const option of ['--out', '--cache-dir']) {
    // Node's recursive mkdir loops forever there, at full CPU and deaf to SIGTERM: the timeout is the failure.
    const result = await runCli('run.ts', [...tinyCsvArgs('t.csv'), option, '/proc/semisup-test/x'], cwd, { timeoutMs: 60_000 });
    oneLineError(result, new RegExp(`^error: ${option} /proc/semisup-test/x is not writable \\(folders cannot be created there`));
  }
  const clean = await runCli('clean.ts', ['--cache-dir', '/proc/semisup-test/x'], cwd, { timeoutMs: 60_000 });
  oneLineError(clean, /--cache-dir \/proc\/semisup-test\/x does not exist/);
  assert.throws(() => createFolder('/proc/semisup-test/x/y'), { code: 'ENOENT' });
});

test('a file-system error names the folder (not a temporary inside it) and the fix', () => {
  const error = Object.assign(new Error('ENOSPC'), { code: 'ENOSPC', path: '/data/run/.tmp-r@h-1-2/figures/.tmp-a.svg@h-1-3' });
  assert.match(fileSystemErrorMessage(error)!, /^\/data\/run: no space left on the device \(ENOSPC\): free some space .*or give --cache-dir or --out a folder on another disk; earlier results are untouched/);
  assert.match(fileSystemErrorMessage(Object.assign(new Error('x'), { code: 'EROFS', path: '/mnt/data/pretrain' }))!, /^\/mnt\/data\/pretrain: the file system is read-only \(EROFS\)/);
  assert.equal(fileSystemErrorMessage(new TypeError('a bug')), undefined);
  assert.equal(fileSystemErrorMessage(Object.assign(new Error('x'), { code: 'ENOSPC' })), undefined, 'no path: nothing to name');
});

test('a read-only default data/ is refused before anything runs, with one line (issue 15, case 5)', { skip: noMounts }, async () => {
  const cwd = tempFolder('ro-data');
  writeTinyCsv(path.join(cwd, 't.csv'));
  fs.mkdirSync(path.join(cwd, 'data'));
  const result = await runCli('run.ts', [...tinyCsvArgs('t.csv'), '--out', 'r'], cwd, { mounts: { before: ['mount --bind data data', 'mount -o remount,bind,ro data'] } });
  oneLineError(result, /^error: the cache folder data\/ \(the default of --cache-dir\) is not writable \(the file system is read-only, EROFS\)/);
  assert.doesNotMatch(result.stdout, /running/);
  assert.ok(!fs.existsSync(path.join(cwd, 'r')));
});

test('a read-only default reports/ is refused before the training, not after it (issue 15, case 5)', { skip: noMounts }, async () => {
  const cwd = tempFolder('ro-reports');
  writeTinyCsv(path.join(cwd, 't.csv'));
  fs.mkdirSync(path.join(cwd, 'reports'));
  const result = await runCli('run.ts', tinyCsvArgs('t.csv'), cwd, { mounts: { before: ['mount --bind reports reports', 'mount -o remount,bind,ro reports'] } });
  oneLineError(result, /^error: the report folder reports\/ \(the default of --out\) is not writable \(the file system is read-only, EROFS\)/);
  assert.doesNotMatch(result.stdout, /running/, 'it trained before finding out');
});

test('a full disk under the cache is one line naming it, not a stack trace (issue 15, case 5)', { skip: noMounts }, async () => {
  const cwd = tempFolder('full-cache');
  writeTinyCsv(path.join(cwd, 't.csv'));
  fs.mkdirSync(path.join(cwd, 'data'));
  for (const jobs of [1, 2]) {
    const result = await runCli('run.ts', [...tinyCsvArgs('t.csv', jobs), '--out', 'r'], cwd, { mounts: { before: ['mount -t tmpfs -o size=16k tmpfs data'] } });
    oneLineError(result, /^error: data(\/[a-z-]+)?: no space left on the device \(ENOSPC\): free some space/);
    assert.ok(!fs.existsSync(path.join(cwd, 'r')));
  }
});

test('a full disk while a report is rebuilt leaves the earlier report whole (issue 15, case 5)', { skip: noMounts }, async () => {
  const cwd = tempFolder('full-out');
  const runDir = path.join(cwd, 'run');
  await writeFakeRun(runDir);
  await buildReport(runDir, { reportsRoot: false });
  // marks in the earlier report's files: a rebuild that wrote any of them would lose its mark
  for (const file of ['summary.csv', 'report.md', 'report.html', 'figures/delta.svg']) fs.appendFileSync(path.join(runDir, file), '\nearlier build\n');
  const before = Object.fromEntries(fs.readdirSync(runDir, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(runDir, f)).isFile()).map((f) => [f, fs.readFileSync(path.join(runDir, f), 'latin1')]));
  const pages = Object.values(before).reduce((sum, text) => sum + Math.ceil(text.length / 4096), 0);
  const html = before['report.html'].length;
  fs.mkdirSync(path.join(cwd, 'disk'));
  fs.mkdirSync(path.join(cwd, 'after'));
  // Room for the earlier folder and two thirds of its report.html: one file at a time fits until that
  // page, so a rebuild that rewrote files in place would stop with old and new files mixed.
  const size = `${pages * 4 + Math.round((0.66 * html) / 1024)}k`;
  const result = await runCli('report.ts', ['disk/run', '--no-index'], cwd, {
    mounts: { before: [`mount -t tmpfs -o size=${size} tmpfs disk`, 'cp -a run disk/run'], after: ['cp -a disk/. after/'] },
  });
  oneLineError(result, /^error: disk: no space left on the device \(ENOSPC\)/);
  const after = path.join(cwd, 'after');
  assert.deepEqual(fs.readdirSync(after), ['run'], 'a temporary folder was left behind');
  for (const [file, text] of Object.entries(before)) assert.equal(fs.readFileSync(path.join(after, 'run', file), 'latin1'), text, `${file} changed`);
});

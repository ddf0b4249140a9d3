import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import type { JobRecord } from '../src/jobs/runner.ts';
import { cleanStore, parseCutoff } from '../pipeline/clean.ts';
import { copyOfCache, once, runCli, tempFolder } from './fixtures/cli.ts';

const BASE = ['--quick', '--pretrain-epochs', '6'];
const ARGS = [...BASE, '--labeled', '0.01,0.05'];
const stripTimes = (csv: string) => csv.trim().split('\n').map((line) => line.split(',').slice(0, 8).join(',')).join('\n');
const jobsOf = (dir: string) => JSON.parse(fs.readFileSync(path.join(dir, 'jobs.json'), 'utf8')) as JobRecord[];

const reference = tempFolder('reference');
/** An uninterrupted run every test compares with; tests that change a cache work on a copy of its data/. */
const referenceRun = once(async () => {
  const result = await runCli('run.ts', [...ARGS, '--jobs', '1', '--out', 'r'], reference);
  assert.equal(result.code, 0, result.stderr);
  return stripTimes(fs.readFileSync(path.join(reference, 'r', 'results.csv'), 'utf8'));
});

test('Ctrl-C during pretraining exits 130 and leaves nothing trusted; the rerun resumes and matches the reference', async () => {
  const referenceCsv = await referenceRun();
  const cwd = tempFolder('interrupted');
  let sent = false;
  const interrupted = await runCli('run.ts', [...ARGS, '--jobs', '1', '--out', 'r'], cwd, {
    onStdout: (text, kill) => {
      if (!sent && /pretrain seed 1: epoch 2\/6/.test(text)) {
        sent = true;
        kill('SIGINT');
      }
    },
  });
  assert.ok(sent, 'never saw pretraining start');
  assert.equal(interrupted.code, 130, interrupted.stderr);
  assert.match(interrupted.stderr, /interrupted \(SIGINT\)/);
  assert.ok(!fs.existsSync(path.join(cwd, 'r')), 'an interrupted run wrote a report');
  const pretrainDir = path.join(cwd, 'data', 'pretrain');
  const trusted = fs.existsSync(pretrainDir) ? fs.readdirSync(pretrainDir).filter((name) => !name.startsWith('.tmp-')) : [];
  assert.deepEqual(trusted, [], 'a half-trained encoder was stored');

  const resumed = await runCli('run.ts', [...ARGS, '--jobs', '1', '--out', 'r'], cwd);
  assert.equal(resumed.code, 0, resumed.stderr);
  const jobs = jobsOf(path.join(cwd, 'r'));
  assert.equal(jobs.find((job) => job.id === 'prepare seed 1')?.status, 'cached', 'the finished prepare job was not reused');
  assert.equal(jobs.find((job) => job.id === 'pretrain seed 1')?.status, 'ran');
  assert.equal(stripTimes(fs.readFileSync(path.join(cwd, 'r', 'results.csv'), 'utf8')), referenceCsv);
});

test('a corrupt cache entry is reported in one line and recomputed, giving the same numbers', async () => {
  const referenceCsv = await referenceRun();
  const cwd = copyOfCache(reference, 'corrupt');
  const pretrainDir = path.join(cwd, 'data', 'pretrain');
  const [key] = fs.readdirSync(pretrainDir);
  const weights = path.join(pretrainDir, key, 'weights.bin');
  fs.truncateSync(weights, 100);
  const finetuneDir = path.join(cwd, 'data', 'finetune');
  const [scoreKey] = fs.readdirSync(finetuneDir);
  fs.writeFileSync(path.join(finetuneDir, scoreKey, 'score.json'), '{ not json');

  const result = await runCli('run.ts', [...ARGS, '--jobs', '1', '--out', 'r2'], cwd);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /^warning: pretrain seed 1: cached output is corrupt \(weights\.bin is 100 bytes, expected \d+\); recomputing$/m);
  assert.match(result.stdout, /cached output is corrupt \(score\.json (is \d+ bytes|does not match its hash)/);
  const jobs = jobsOf(path.join(cwd, 'r2'));
  assert.equal(jobs.find((job) => job.id === 'pretrain seed 1')?.status, 'ran');
  assert.equal(stripTimes(fs.readFileSync(path.join(cwd, 'r2', 'results.csv'), 'utf8')), referenceCsv);
});

test('--jobs 2 (worker processes) gives the same results as --jobs 1', async () => {
  const referenceCsv = await referenceRun();
  const cwd = tempFolder('parallel');
  const result = await runCli('run.ts', [...ARGS, '--jobs', '2', '--out', 'r'], cwd);
  assert.equal(result.code, 0, result.stderr);
  assert.match(result.stdout, /2 at once in worker processes/);
  assert.equal(stripTimes(fs.readFileSync(path.join(cwd, 'r', 'results.csv'), 'utf8')), referenceCsv);
});

test('--dry-run prints every job with its key and status and trains nothing; --force reruns a stage and its dependents', async () => {
  await referenceRun();
  const cwd = copyOfCache(reference, 'force');
  const dry = await runCli('run.ts', [...ARGS, '--dry-run'], cwd);
  assert.equal(dry.code, 0, dry.stderr);
  assert.match(dry.stdout, /pretrain seed 1\s+[0-9a-f]{16}\s+cached/);
  const more = await runCli('run.ts', [...BASE, '--labeled', '0.01,0.02', '--dry-run'], cwd);
  assert.match(more.stdout, /pretrained seed 1 fraction 0\.02\s+[0-9a-f]{16}\s+to run/);
  const forced = await runCli('run.ts', [...ARGS, '--force', 'finetune', '--out', 'r3'], cwd);
  assert.equal(forced.code, 0, forced.stderr);
  const jobs = jobsOf(path.join(cwd, 'r3'));
  assert.deepEqual(jobs.filter((job) => job.status === 'ran').map((job) => job.stage).sort(), ['finetune', 'finetune']);
  const encoder = await runCli('run.ts', [...ARGS, '--force', 'pretrain', '--dry-run'], cwd);
  const forcedIds = encoder.stdout.split('\n').filter((line) => line.endsWith('forced')).map((line) => line.trim().split(/\s{2,}/)[0]);
  assert.deepEqual(forcedIds.sort(), ['pictures seed 1', 'pretrain seed 1', 'pretrained seed 1 fraction 0.01', 'pretrained seed 1 fraction 0.05']);
});

test('clean removes cached entries (all, or older than a cut-off)', async () => {
  await referenceRun();
  const root = path.join(copyOfCache(reference, 'clean'), 'data');
  assert.deepEqual(cleanStore(root, { olderThan: parseCutoff('1d') }), [], 'fresh entries are not older than a day');
  const wouldRemove = cleanStore(root, { dryRun: true });
  assert.ok(wouldRemove.length >= 6);
  assert.ok(fs.existsSync(wouldRemove[0]), '--dry-run removed something');
  cleanStore(root, {});
  for (const stage of ['prepare', 'pretrain', 'finetune', 'baseline']) {
    const dir = path.join(root, stage);
    assert.deepEqual(fs.existsSync(dir) ? fs.readdirSync(dir) : [], []);
  }
});

test('two pipelines started at once on the same data/ both succeed with the same numbers', async () => {
  const referenceCsv = await referenceRun();
  const cwd = tempFolder('concurrent');
  const [a, b] = await Promise.all([
    runCli('run.ts', [...ARGS, '--jobs', '1', '--out', 'a'], cwd),
    runCli('run.ts', [...ARGS, '--jobs', '1', '--out', 'b'], cwd),
  ]);
  assert.equal(a.code, 0, a.stderr);
  assert.equal(b.code, 0, b.stderr);
  const csv = (dir: string) => stripTimes(fs.readFileSync(path.join(cwd, dir, 'results.csv'), 'utf8'));
  assert.equal(csv('a'), referenceCsv);
  assert.equal(csv('b'), referenceCsv);
  for (const stage of ['prepare', 'pretrain', 'finetune', 'baseline']) {
    const entries = fs.readdirSync(path.join(cwd, 'data', stage));
    assert.deepEqual(entries.filter((name) => name.startsWith('.tmp-')), [], `${stage}: a temporary folder was left behind`);
  }
});

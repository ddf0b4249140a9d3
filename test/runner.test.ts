import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ArtifactStore, type EntryFiles } from '../src/artifacts/store.ts';
import type { Executor, RunRequest } from '../src/jobs/executor.ts';
import type { Job } from '../src/jobs/job.ts';
import { forcedJobs } from '../src/jobs/plan.ts';
import { runJobs, type RunnerEvents } from '../src/jobs/runner.ts';
import { tempFolder } from './fixtures/cli.ts';

const quiet: RunnerEvents = { cached: () => undefined, corrupt: () => undefined, started: () => undefined, finished: () => undefined };
const job = (id: string, deps: string[] = [], stage = 'prepare'): Job => ({ stage, id, key: id.replace(/\W/g, '-'), seed: 1, deps, inputs: {}, params: {} });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** An executor that computes a job's files with `compute` and commits them, like every real executor. */
function testExecutor(store: ArtifactStore, capacity: number, compute: (request: RunRequest) => Promise<EntryFiles>, ordersDependencies = false): Executor {
  return {
    description: 'test', capacity, ordersDependencies,
    run: async (request) => store.write(request.job.stage, request.job.key, await compute(request), { replace: request.replace }),
    cancel: async () => undefined,
    close: async () => undefined,
  };
}

test('jobs run after their inputs, those others wait for first, at most the executor\'s capacity at once', async () => {
  const store = new ArtifactStore(path.join(tempFolder('runner'), 'data'));
  const jobs: Job[] = [job('a'), job('leaf-1', ['a']), job('b', ['a']), job('leaf-2', ['b'])];
  const started: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const records = await runJobs(jobs, {
    store, force: new Set(), events: quiet,
    executor: testExecutor(store, 2, async ({ job: j }) => {
      started.push(j.id);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(20);
      running--;
      return { 'out.txt': j.id };
    }),
  });
  assert.equal(started[0], 'a');
  assert.equal(started[1], 'b', 'the job with dependents should start before the leaf');
  assert.ok(maxRunning <= 2);
  assert.deepEqual(records.map((r) => r.status), ['ran', 'ran', 'ran', 'ran']);
  const again = await runJobs(jobs, { store, force: new Set(), events: quiet, executor: testExecutor(store, 2, async () => assert.fail('a cached job ran')) });
  assert.deepEqual(again.map((r) => r.status), ['cached', 'cached', 'cached', 'cached']);
});

test('an executor that orders dependencies itself gets a job as soon as its inputs are handed over, told which ones', async () => {
  const store = new ArtifactStore(path.join(tempFolder('runner-after'), 'data'));
  const jobs: Job[] = [job('a'), job('b', ['a']), job('c', ['b']), job('d')];
  const handed: { id: string; after: string[]; aDone: boolean }[] = [];
  let aDone = false;
  await runJobs(jobs, {
    store, force: new Set(), events: quiet,
    executor: testExecutor(store, 10, async ({ job: j, after }) => {
      handed.push({ id: j.id, after, aDone });
      await sleep(j.id === 'a' ? 40 : 5);
      if (j.id === 'a') aDone = true;
      return { 'out.txt': j.id };
    }, true),
  });
  assert.deepEqual(handed.map((h) => h.id).sort(), ['a', 'b', 'c', 'd']);
  const b = handed.find((h) => h.id === 'b')!;
  assert.deepEqual(b.after, ['a']);
  assert.equal(b.aDone, false, 'b waited for a to finish instead of being handed over with it');
});

test('a failing job fails the run with its error; finished jobs stay cached', async () => {
  const store = new ArtifactStore(path.join(tempFolder('runner-fail'), 'data'));
  const jobs: Job[] = [job('ok-1'), job('boom'), job('ok-2')];
  await assert.rejects(runJobs(jobs, {
    store, force: new Set(), events: quiet,
    executor: testExecutor(store, 1, async ({ job: j }) => {
      if (j.id === 'boom') throw new Error('boom failed: out of cheese');
      return { 'out.txt': j.id };
    }),
  }), /out of cheese/);
  assert.ok(store.check('prepare', 'ok-1').ok);
  assert.ok(!store.check('prepare', 'boom').ok);
  assert.ok(!store.check('prepare', 'ok-2').ok, 'no new job starts after a failure');
});

test('--force reruns the named stage and every job that reads it, directly or not, and nothing else', () => {
  const jobs: Job[] = [job('split'), job('encoder', ['split'], 'pretrain'), job('tuned', ['split', 'encoder'], 'finetune'), job('base', ['split'], 'baseline'), job('pic', ['encoder'], 'pictures')];
  const names = ['prepare', 'pretrain', 'finetune', 'baseline', 'pictures'];
  assert.deepEqual([...forcedJobs(jobs, ['pretrain'], names)].sort(), ['encoder', 'pic', 'tuned']);
  assert.deepEqual([...forcedJobs(jobs, ['baseline'], names)], ['base']);
  assert.deepEqual([...forcedJobs(jobs, ['prepare'], names)].sort(), ['base', 'encoder', 'pic', 'split', 'tuned']);
  assert.equal(forcedJobs(jobs, 'all', names).size, jobs.length);
  assert.equal(forcedJobs(jobs, [], names).size, 0);
  assert.throws(() => forcedJobs(jobs, ['pretrian'], names), /^UserError: --force pretrian is not a stage: use --force alone \(everything\) or one of prepare, pretrain/);
});

test('the store rejects truncated and tampered entries and keeps a valid entry against a concurrent writer', () => {
  const store = new ArtifactStore(path.join(tempFolder('store'), 'data'));
  store.write('pretrain', 'k1', { 'a.bin': new Uint8Array([1, 2, 3]), 'b.json': '{"x":1}' });
  assert.deepEqual(store.check('pretrain', 'k1'), { ok: true });
  store.write('pretrain', 'k1', { 'a.bin': new Uint8Array([9]), 'b.json': '{}' });
  assert.deepEqual([...store.read('pretrain', 'k1', 'a.bin')], [1, 2, 3], 'a second writer replaced a valid entry');
  const file = path.join(store.entryDir('pretrain', 'k1'), 'b.json');
  fs.writeFileSync(file, '{"x":2}');
  assert.deepEqual(store.check('pretrain', 'k1'), { ok: false, reason: 'b.json does not match its hash' });
  assert.deepEqual(store.check('pretrain', 'nope'), { ok: false, reason: 'missing' });
});

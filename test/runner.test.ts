import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { ArtifactStore } from '../src/artifacts/store.ts';
import type { Job, PrepareJob } from '../src/jobs/job.ts';
import { runJobs, type RunnerEvents } from '../src/jobs/runner.ts';
import { tempFolder } from './fixtures/cli.ts';

const quiet: RunnerEvents = { cached: () => undefined, corrupt: () => undefined, started: () => undefined, finished: () => undefined };
const job = (id: string, deps: string[] = []): PrepareJob => ({ stage: 'prepare', id, key: id.replace(/\W/g, '-'), seed: 1, deps, testFraction: 0.2 });
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('jobs run after their inputs, those others wait for first, at most `concurrency` at once', async () => {
  const store = new ArtifactStore(path.join(tempFolder('runner'), 'data'));
  const jobs: Job[] = [job('a'), job('leaf-1', ['a']), job('b', ['a']), job('leaf-2', ['b'])];
  const started: string[] = [];
  let running = 0;
  let maxRunning = 0;
  const records = await runJobs(jobs, {
    store, force: new Set(), concurrency: 2, events: quiet,
    execute: async (j) => {
      started.push(j.id);
      running++;
      maxRunning = Math.max(maxRunning, running);
      await sleep(20);
      running--;
      return { 'out.txt': j.id };
    },
  });
  assert.equal(started[0], 'a');
  assert.equal(started[1], 'b', 'the job with dependents should start before the leaf');
  assert.ok(maxRunning <= 2);
  assert.deepEqual(records.map((r) => r.status), ['ran', 'ran', 'ran', 'ran']);
  const again = await runJobs(jobs, { store, force: new Set(), concurrency: 2, events: quiet, execute: async () => assert.fail('a cached job ran') });
  assert.deepEqual(again.map((r) => r.status), ['cached', 'cached', 'cached', 'cached']);
});

test('a failing job fails the run with its error; finished jobs stay cached', async () => {
  const store = new ArtifactStore(path.join(tempFolder('runner-fail'), 'data'));
  const jobs: Job[] = [job('ok-1'), job('boom'), job('ok-2')];
  await assert.rejects(runJobs(jobs, {
    store, force: new Set(), concurrency: 1, events: quiet,
    execute: async (j) => {
      if (j.id === 'boom') throw new Error('boom failed: out of cheese');
      return { 'out.txt': j.id };
    },
  }), /out of cheese/);
  assert.ok(store.check('prepare', 'ok-1').ok);
  assert.ok(!store.check('prepare', 'boom').ok);
  assert.ok(!store.check('prepare', 'ok-2').ok, 'no new job starts after a failure');
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

/**
 * --executor bullmq end to end: a real Redis on loopback, real `npm run
 * worker` processes, the real CLI as coordinator (on the user's own CSV
 * data, which workers read from the shared cache), compared with --jobs 1.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Queue } from 'bullmq';
import { QUEUE_NAME } from '../src/executors/bullmq-queue.ts';
import { runCli, tempFolder } from './fixtures/cli.ts';
import { comparableResults as results, jobsOf } from './fixtures/run-output.ts';
import { startWorker, type WorkerProcess } from './fixtures/queue-workers.ts';
import { skipWithoutRedis, startRedis, type RedisServer } from './fixtures/redis.ts';
import { writeTinyCsv } from './fixtures/tiny-csv.ts';

/** Seven jobs of a second or so; pretraining is long enough to be cut off mid-way. */
const tiny = (pretrainEpochs = 300) => ['--dataset', 'csv', '--csv', 't.csv', '--label-column', 'y', '--labeled', '0.2,0.5', '--seeds', '1',
  '--pretrain-epochs', String(pretrainEpochs), '--finetune-epochs', '5', '--hidden', '16', '--latent', '4'];
const TINY = tiny();
const cwd = tempFolder('bullmq');
writeTinyCsv(path.join(cwd, 't.csv'));

describe('--executor bullmq on a real Redis', { skip: skipWithoutRedis, timeout: 600_000 }, () => {
  let redis: RedisServer;
  let reference: string;
  /** Workers serve one shared cache folder, so each test starts its own and stops them, whatever happens. */
  const withWorkers = async (cacheDir: string, options: string[][], body: (workers: WorkerProcess[]) => Promise<void>) => {
    const workers = options.map((extra) => startWorker(redis.url, cacheDir, extra));
    try {
      await Promise.all(workers.map((w) => w.waitFor(/taking jobs/)));
      await body(workers);
    } finally {
      await Promise.all(workers.map((w) => w.stop()));
    }
  };
  interface CoordinatorOptions { extra?: string[]; config?: string[]; script?: string; onStdout?: (text: string, kill: (signal: NodeJS.Signals) => void) => void }
  const coordinator = (cacheDir: string, out: string, { extra = [], config = TINY, script = 'run.ts', onStdout }: CoordinatorOptions = {}) =>
    runCli(script, [...config, '--executor', 'bullmq', '--queue', redis.url, '--cache-dir', cacheDir, '--out', out, ...extra], cwd, { onStdout });

  before(async () => {
    redis = await startRedis();
    const out = path.join(cwd, 'reference');
    const run = await runCli('run.ts', [...TINY, '--jobs', '1', '--cache-dir', path.join(cwd, 'reference-cache'), '--out', out], cwd);
    assert.equal(run.code, 0, run.stderr);
    reference = results(out);
  });
  after(async () => {
    await redis?.stop();
  });

  test('two workers, one killed with SIGKILL mid-job: the job reruns on the other, results bit-identical to --jobs 1; then a second run queues nothing, and a forced run and a tuning run at once each get their own results', async () => {
    const shared = path.join(cwd, 'shared');
    await withWorkers(shared, [[], []], async (workers) => {
      let victim: WorkerProcess | undefined;
      const out = path.join(cwd, 'spread');
      const run = await coordinator(shared, out, { onStdout: (stdout) => {
        const pid = Number(/pretrain seed 1: running on .+ \(pid (\d+)\)/.exec(stdout)?.[1]);
        if (victim || !pid) return;
        victim = workers.find((w) => w.pid === pid);
        assert.ok(victim, `pid ${pid} is not one of this test's workers`);
        process.kill(pid, 'SIGKILL');
      } });
      assert.equal(run.code, 0, run.stderr);
      assert.ok(victim, 'the worker running pretrain was killed');
      assert.equal(victim.alive(), false, 'its child process died with it');
      const survivor = workers.find((w) => w !== victim)!;
      assert.match(run.stdout, /on BullMQ queue "semisup" at redis:\/\/127\.0\.0\.1:\d+ \(2 workers connected\)/);
      assert.match(run.stdout, /pretrain seed 1: lost its worker .*; back in the queue for another/);
      assert.match(run.stdout, new RegExp(`pretrain seed 1: running on .+ \\(pid ${survivor.pid}\\)`), 'the other worker ran it again');
      assert.match(run.stdout, /pretrain seed 1: epoch 300\/300, loss/, 'the coordinator shows the remote job\'s epochs');
      assert.equal(results(out), reference);
      assert.deepEqual(jobsOf(out).filter((job) => job.status !== 'ran'), []);

      const again = path.join(cwd, 'again');
      const cached = await coordinator(shared, again);
      assert.equal(cached.code, 0, cached.stderr);
      assert.deepEqual(jobsOf(again).filter((job) => job.status !== 'cached'), []);
      assert.doesNotMatch(cached.stdout, /queued/);

      // Both coordinators share the surviving worker; a tuning run plans two rounds of jobs (trials, then the final run).
      const forced = path.join(cwd, 'forced');
      const tuned = path.join(cwd, 'tuned');
      const [first, second] = await Promise.all([coordinator(shared, forced, { extra: ['--force'] }), coordinator(shared, tuned, { extra: ['--trials', '2'], script: 'tune.ts' })]);
      assert.equal(first.code, 0, first.stderr);
      assert.equal(second.code, 0, second.stderr);
      assert.deepEqual(jobsOf(forced).filter((job) => job.status !== 'ran'), [], '--force ran every job again, none deduplicated');
      assert.equal(results(forced), reference);
      assert.ok(jobsOf(tuned).some((job) => job.status === 'ran' && job.id.includes('trial 2')), 'the second trial was trained on the queue');
      assert.equal(fs.readFileSync(path.join(tuned, 'tuning.csv'), 'utf8').trim().split('\n').length, 1 + 2 * 2 * 2, 'baseline and pretrained × 2 trials × 2 label budgets');
    });
  });

  test('a job that fails on its worker fails the run once, with the worker\'s message', async () => {
    const cache = path.join(cwd, 'refused');
    await withWorkers(cache, [['--backend', 'cpu']], async ([cpu]) => {
      const run = await coordinator(cache, path.join(cwd, 'refused-out'));
      assert.equal(run.code, 2, run.stderr);
      assert.match(run.stderr, /^error: prepare seed 1 was planned for engine wasm\/\S+ but this worker runs cpu\/\S+: give workers the coordinator's --backend/);
      assert.equal(run.stderr.trim().split('\n').length, 1, 'one line');
      await cpu.waitFor(/prepare seed 1: failed/);
      assert.equal(cpu.output().match(/prepare seed 1 .*: running/g)?.length, 1, 'tried once, not retried');
    });
  });

  test('a coordinator whose jobs wait with no worker says so; Ctrl-C withdraws its waiting jobs and stops its running one', async () => {
    const cache = path.join(cwd, 'interrupted');
    let lone: WorkerProcess | undefined;
    let sent = false;
    try {
      // Pretraining long enough to be running when the interrupt arrives.
      const run = await coordinator(cache, path.join(cwd, 'interrupted-out'), { config: tiny(10_000), onStdout: (stdout, kill) => {
        if (!lone && /prepare seed 1: waiting: no worker is connected to the queue; start one with npm run worker -- --queue redis:\/\/127\.0\.0\.1:\d+ --cache-dir DIR/.test(stdout)) lone = startWorker(redis.url, cache);
        if (sent || !/pretrain seed 1: running on/.test(stdout)) return;
        sent = true;
        kill('SIGINT');
      } });
      assert.equal(run.code, 130, run.stderr);
      assert.match(run.stdout, /\(no worker connected yet: start some with npm run worker\)/);
      assert.ok(lone, 'the coordinator said no worker was connected');
      assert.match(run.stderr, /withdrew 2 waiting jobs from the queue; told the workers to stop 1 running/);
      await lone.waitFor(/pretrain seed 1: failed after .*cancelled/);
      const queue = new Queue(QUEUE_NAME, { connection: { url: redis.url } });
      try {
        assert.deepEqual(await queue.getJobCounts('waiting', 'active'), { waiting: 0, active: 0 });
      } finally {
        await queue.close();
      }
    } finally {
      await lone?.stop();
    }
  });
});

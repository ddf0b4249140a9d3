/**
 * --executor slurm end to end: a real one-node Slurm cluster (slurmctld,
 * slurmd, munged) on loopback, the real CLI as coordinator submitting one
 * sbatch job per job (on the user's own CSV data, which jobs read from the
 * shared cache), compared with --jobs 1.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { parseSlurmJobTimes, slurmTimesNote } from '../src/executors/slurm.ts';
import { runCli, tempFolder } from './fixtures/cli.ts';
import { comparableResults as results, jobsOf } from './fixtures/run-output.ts';
import { runQuick, waitUntil } from './fixtures/daemons.ts';
import { skipWithoutSlurm, startSlurm, type SlurmCluster } from './fixtures/slurm.ts';
import { writeTinyCsv } from './fixtures/tiny-csv.ts';

/** Six jobs of a second or so (each sbatch job also starts node and its backend). */
const tiny = (pretrainEpochs = 100) => ['--dataset', 'csv', '--csv', 't.csv', '--label-column', 'y', '--labeled', '0.2,0.5', '--seeds', '1',
  '--pretrain-epochs', String(pretrainEpochs), '--finetune-epochs', '5', '--hidden', '16', '--latent', '4'];
const TINY = tiny();
const cwd = tempFolder('slurm');
writeTinyCsv(path.join(cwd, 't.csv'));

test('a finished Slurm job\'s note reads back as the times it was written from, an unknown wait and clocks that differ included', () => {
  for (const times of [{ waited: 0.93, startup: 0.47, working: 21.3, noticed: 0.61 }, { startup: 0.5, working: 1, noticed: -0.04 }, { waited: -0.02, startup: 0.5, working: 1, noticed: 0 }]) {
    const line = `pretrain seed 1: ${slurmTimesNote('node12', times)}`;
    assert.deepEqual(parseSlurmJobTimes(line), times, line);
  }
  assert.equal(parseSlurmJobTimes('pretrain seed 1: running on node12 (Slurm job 7)'), undefined);
});

describe('--executor slurm on a real one-node Slurm cluster', { skip: skipWithoutSlurm, timeout: 600_000 }, () => {
  let slurm: SlurmCluster;
  interface CoordinatorOptions { extra?: string[]; config?: string[]; onStdout?: (text: string, kill: (signal: NodeJS.Signals) => void) => void }
  const coordinator = (cacheDir: string, out: string, { extra = [], config = TINY, onStdout }: CoordinatorOptions = {}) =>
    runCli('run.ts', [...config, '--executor', 'slurm', '--cache-dir', cacheDir, '--out', out, ...extra], cwd, { env: slurm.env, onStdout });

  before(async () => {
    slurm = await startSlurm();
  });
  after(async () => {
    await slurm?.stop();
  });

  test('one sbatch job per job, each after its inputs\' Slurm jobs: results bit-identical to --jobs 1; a second run submits nothing', async () => {
    const reference = path.join(cwd, 'reference');
    const local = await runCli('run.ts', [...TINY, '--jobs', '1', '--cache-dir', path.join(cwd, 'reference-cache'), '--out', reference], cwd);
    assert.equal(local.code, 0, local.stderr);

    const cache = path.join(cwd, 'cache');
    const out = path.join(cwd, 'slurm-run');
    const run = await coordinator(cache, out);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(results(out), results(reference));
    assert.deepEqual(jobsOf(out).filter((job) => job.status !== 'ran'), []);
    // Slurm orders the chain: a fine-tune job is submitted while its encoder's job is still queued or running.
    const pretrainId = /pretrain seed 1: submitted as Slurm job (\d+)/.exec(run.stdout)?.[1];
    assert.ok(pretrainId, run.stdout);
    assert.match(run.stdout, new RegExp(`pretrained seed 1 fraction 0\\.2: submitted as Slurm job \\d+ \\(after [\\d, ]*\\b${pretrainId}\\b[\\d, ]*\\)`));
    assert.match(run.stdout, /running on semisup-node \(Slurm job \d+\)/);
    // Each finished job says where its time went; the cluster bench reads these lines back.
    const times = run.stdout.split('\n').map(parseSlurmJobTimes).filter((t) => t !== undefined);
    assert.equal(times.length, jobsOf(out).length, run.stdout);
    // One machine, one clock: no job started before it could run, none was heard of before it ended.
    // (A tiny job's work can print as 0.00 s; a process never starts up in less than 0.01 s.)
    assert.ok(times.every((t) => t.startup > 0 && t.working >= 0 && t.waited !== undefined && t.waited >= 0 && t.noticed >= 0), run.stdout);
    assert.ok(times.reduce((sum, t) => sum + t.working, 0) > 0, run.stdout);
    assert.ok(!fs.existsSync(path.join(cache, 'slurm')) || fs.readdirSync(path.join(cache, 'slurm')).length === 0, 'a successful run leaves no job files behind');

    const again = await coordinator(cache, path.join(cwd, 'again'));
    assert.equal(again.code, 0, again.stderr);
    assert.doesNotMatch(again.stdout, /submitted/);
    assert.deepEqual(jobsOf(path.join(cwd, 'again')).filter((job) => job.status !== 'cached'), []);
  });

  test('a job that dies on its node fails the run with the node\'s output, and Slurm cancels every job waiting on it', async () => {
    const cache = path.join(cwd, 'failing');
    // Too little memory for node: every job's process dies at start, the way an out-of-memory job does.
    const run = await coordinator(cache, path.join(cwd, 'failing-out'), { extra: ['--slurm-args', '--export=ALL,NODE_OPTIONS=--max-old-space-size=16'] });
    assert.equal(run.code, 1, run.stderr);
    assert.match(run.stderr, /^prepare seed 1: Slurm job \d+ ended FAILED \(\w+\) without a result; the end of its output \(.+\.log\):\n/);
    assert.match(run.stderr, /^FATAL ERROR: .*heap out of memory$/m, 'the line that says why');
    const pretrain = /pretrain seed 1: submitted as Slurm job \d+ \(after (\d+)\)/.exec(run.stdout);
    assert.ok(pretrain, `the dependents were handed to Slurm at once:\n${run.stdout}`);
    assert.match(run.stdout, /pretrained seed 1 fraction 0\.2: submitted as Slurm job \d+ \(after [\d, ]+\)/);
    assert.doesNotMatch(run.stdout, /(pretrain|baseline|pretrained|pictures) seed 1.*: running on/, 'no dependent ran');
    const jobName = /job name (semisup-[A-Za-z0-9-]+)/.exec(run.stdout)?.[1];
    assert.equal(runQuick('squeue', ['--noheader', `--name=${jobName}`, '--states=PENDING,RUNNING', '--format=%i'], slurm.env), '', 'none left pending forever');
    assert.equal(fs.readdirSync(path.join(cache, 'slurm')).length, 1, 'a failed run keeps its job files (scripts, logs) for reading');
  });

  test('Ctrl-C of the coordinator cancels the run\'s Slurm jobs', async () => {
    const cache = path.join(cwd, 'interrupted');
    let sent = false;
    // Pretraining long enough to be running when the interrupt arrives.
    const run = await coordinator(cache, path.join(cwd, 'interrupted-out'), { config: tiny(10_000), onStdout: (stdout, kill) => {
      if (sent || !/pretrain seed 1: running on/.test(stdout)) return;
      sent = true;
      kill('SIGINT');
    } });
    assert.equal(run.code, 130, run.stderr);
    const said = /cancelled (\d+) Slurm jobs \(scancel --name=(semisup-\S+)\)/.exec(run.stderr);
    assert.ok(said, run.stderr);
    assert.ok(Number(said[1]) >= 3, 'the running pretrain job and the jobs waiting on it');
    await waitUntil('the cancelled jobs to leave Slurm\'s queue', () => runQuick('squeue', ['--noheader', `--name=${said[2]}`, '--states=PENDING,RUNNING', '--format=%i'], slurm.env) === '', { timeoutMs: 20_000 });
  });
});

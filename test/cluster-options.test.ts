/**
 * The cluster executors' options and failure records, without a cluster:
 * bad values are one line and exit code 2 before anything runs; a failure
 * keeps its kind on its way from a worker to the coordinator.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseArgs, runControlFromArgs, splitShellWords } from '../src/cli.ts';
import { NonFiniteLossError } from '../src/train/loop.ts';
import { UserError } from '../src/errors.ts';
import { connectQueue } from '../src/executors/bullmq-queue.ts';
import { errorFromRecord, failureRecord, recordFromStack, stackOf } from '../src/executors/remote-failure.ts';
import { runCli, tempFolder } from './fixtures/cli.ts';
import { freePort } from './fixtures/daemons.ts';

const cwd = tempFolder('cluster-options');

async function refused(script: string, args: string[], message: RegExp): Promise<void> {
  const result = await runCli(script, args, cwd);
  assert.equal(result.code, 2, result.stderr);
  assert.match(result.stderr, message);
  assert.equal(result.stderr.trim().split('\n').length, 1, `one line: ${result.stderr}`);
}

/** The run control the options give, parsed as the CLI parses them. */
async function control(argv: string[]) {
  const args = await parseArgs(argv, 'npm run pipeline --');
  assert.ok(args);
  return runControlFromArgs(args);
}

async function userError(promise: Promise<unknown>, pattern: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof UserError, `not a UserError: ${String(error)}`);
    assert.match(error.message, pattern);
    assert.ok(!error.message.includes('\n'), 'one line');
    return true;
  });
}

test('--executor and its options: each missing or misplaced one is refused in one line', async () => {
  await userError(control(['--executor', 'bullmq']), /^--executor bullmq needs --queue redis:\/\/HOST:PORT/);
  await userError(control(['--queue', 'redis://127.0.0.1:6379']), /^--queue belongs to --executor bullmq/);
  await userError(control(['--slurm-args', '--mem=2G']), /^--slurm-args belongs to --executor slurm/);
  await userError(control(['--executor', 'slurm', '--jobs', '4']), /^--jobs belongs to --executor local: with --executor slurm, Slurm decides how many jobs run at once/);
  await userError(control(['--executor', 'kubernetes']), /^--executor kubernetes is unknown: use one of local, bullmq, slurm/);
  await userError(connectQueue('http://127.0.0.1:6379'), /^--queue http:\/\/127\.0\.0\.1:6379: expected redis:\/\/HOST:PORT/);
  assert.deepEqual((await control(['--executor', 'bullmq', '--queue', 'redis://q:6379'])).executor, { kind: 'bullmq', queue: 'redis://q:6379' });
  // A value that starts with dashes, as every sbatch option does, after a space or an equals sign.
  for (const argv of [['--slurm-args', '--mem=2G --time=5'], ['--slurm-args=--mem=2G --time=5']]) {
    assert.deepEqual((await control(['--executor', 'slurm', ...argv])).executor, { kind: 'slurm', sbatchArgs: ['--mem=2G', '--time=5'] });
  }
  // End to end: a queue nobody serves stops the run before any work, exit code 2.
  const port = await freePort();
  await refused('run.ts', ['--quick', '--executor', 'bullmq', '--queue', `redis://127.0.0.1:${port}`], new RegExp(`^error: --queue redis://127\\.0\\.0\\.1:${port}: no Redis server answers there`));
});

test('npm run worker refuses a missing or unreachable queue in one line', async () => {
  await refused('queue-worker.ts', [], /^error: --queue is missing/);
  await refused('queue-worker.ts', ['--queue', 'redis://127.0.0.1:6379', '--concurrency', '0'], /^error: --concurrency "0" is not a whole number ≥ 1/);
  await userError(connectQueue(`redis://127.0.0.1:${await freePort()}`), /no Redis server answers there/);
});

test('--slurm-args splits like a shell, quotes kept together', () => {
  assert.deepEqual(splitShellWords(`--partition=cpu --comment='a b' --mem="2G" -t 1:00:00`), ['--partition=cpu', '--comment=a b', '--mem=2G', '-t', '1:00:00']);
  assert.deepEqual(splitShellWords('  '), []);
});

test('a failure keeps its kind across machines: bad input stays one line, a bug keeps its remote stack', () => {
  const bad = errorFromRecord(JSON.parse(JSON.stringify(failureRecord(new NonFiniteLossError('training loss became NaN')))), 'worker x');
  assert.ok(bad instanceof UserError);
  assert.equal(bad.message, 'training loss became NaN');
  // BullMQ keeps only message and stack: the stack's first line carries the kind, for any UserError subclass.
  assert.ok(recordFromStack('m', stackOf(new NonFiniteLossError('m'))).userError);
  const bug = new TypeError('x is undefined');
  const back = errorFromRecord(recordFromStack(bug.message, stackOf(bug)), 'node-3');
  assert.ok(!(back instanceof UserError));
  assert.match(back.stack ?? '', /^TypeError: x is undefined\n\s+at .*cluster-options\.test\.ts/);
  assert.match(back.message, /\(on node-3\)$/);
});

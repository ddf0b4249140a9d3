/**
 * The cluster executors' numbers (issue "Past one machine"), on this machine, with real engines started
 * here (Debian's redis-server; slurmctld/slurmd/munged for the Slurm part, which needs root):
 *
 *   npm run bench:cluster -- [--repeats 3] [--args "--seeds 2"] [--parts sweep,serial,slurm,kill]
 *
 * 1. sweep: the default sweep (cold cache) through two local BullMQ workers (--concurrency 1 each) against
 *    --jobs 2, in pairs (A B, B A, ...), the ratio taken pair by pair; target: median ratio ≤ 1.2.
 * 2. overhead: one worker against --jobs 1 (both serial), and Slurm with every job taking both CPUs
 *    against --jobs 1: (executor's wall − --jobs 1's wall) / jobs = scheduling overhead per job,
 *    child-process start-up included; target < 0.5 s for BullMQ. Also BullMQ's own dispatch latency
 *    (a job's start on an idle worker minus the moment it was queued), from the queue's job records.
 * 3. kill: two workers; when one starts pretraining, SIGKILL its process group; the seconds until another
 *    worker runs that job again; target < 60 s.
 * Workers are started (cold) before each timed coordinator run and stopped after it; their own start-up
 * is not timed, their children's is. Prints the machine's load average before and after: on a busy
 * machine these are rough numbers. Writes reports/bench/cluster-<time>.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue, QueueEvents } from 'bullmq';
import { writeFileAtomic } from '../src/artifacts/atomic.ts';
import { splitShellWords } from '../src/cli.ts';
import { QUEUE_NAME } from '../src/executors/bullmq-queue.ts';
import { parseSlurmJobTimes, type SlurmJobTimes } from '../src/executors/slurm.ts';
import { timePipeline, type PipelineTiming } from '../src/bench/pipeline-timing.ts';
import { median } from '../src/bench/stats.ts';
import { formatTable } from '../src/bench/table.ts';
import { runCli, tempFolder } from '../test/fixtures/cli.ts';
import { startWorker, type WorkerProcess } from '../test/fixtures/queue-workers.ts';
import { skipWithoutRedis, startRedis, type RedisServer } from '../test/fixtures/redis.ts';
import { runQuick, waitUntil } from '../test/fixtures/daemons.ts';
import { skipWithoutSlurm, startSlurm } from '../test/fixtures/slurm.ts';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

function option(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at >= 0 && at + 1 < process.argv.length ? process.argv[at + 1] : fallback;
}
const repeats = Number(option('repeats', '3'));
const sweepArgs = splitShellWords(option('args', ''));
const parts = new Set(option('parts', 'sweep,serial,slurm,kill').split(','));
const load = () => os.loadavg().map((l) => l.toFixed(1)).join(' ');

interface QueueLatencies {
  /** Seconds from a job's queueing (or its worker's last finish, if later) to its start on that worker. */
  dispatch: number[];
  /** Seconds from a job's finish on its worker to the completion event reaching a listener (as the coordinator's does). */
  notify: number[];
}

/**
 * Slurm's own share of a job's overhead: trivial jobs that take the whole node (so they run one after
 * another) and sleep 0.1–0.9 s, so they end at every phase of Slurm's scheduling pass; the seconds from
 * each one's end to the next one's start, by their own clocks.
 */
async function slurmAlone(env: NodeJS.ProcessEnv, cpus: string, count = 12): Promise<number[]> {
  const dir = tempFolder('slurm-alone');
  try {
    const name = `semisup-bench-${process.pid}`;
    for (let i = 0; i < count; i++) {
      const script = path.join(dir, `job-${i}.sh`);
      fs.writeFileSync(script, `#!/bin/sh\ndate +%s.%N\nsleep 0.${1 + (i * 7) % 9}\ndate +%s.%N\n`);
      runQuick('sbatch', ['--parsable', `--job-name=${name}`, cpus, `--output=${path.join(dir, `job-${i}.out`)}`, script], env);
    }
    await waitUntil('the trivial Slurm jobs to end', () => runQuick('squeue', ['--noheader', `--name=${name}`, '--format=%i'], env) === '', { timeoutMs: 120_000 });
    const spans = Array.from({ length: count }, (_, i) => fs.readFileSync(path.join(dir, `job-${i}.out`), 'utf8').trim().split('\n').map(Number))
      .sort((a, b) => a[0] - b[0]);
    return spans.slice(1).map((span, i) => span[0] - spans[i][1]);
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

/** Time one coordinator run through `count` fresh workers on a fresh shared cache. */
async function timeBullmq(redis: RedisServer, count: number): Promise<{ timing: PipelineTiming } & QueueLatencies> {
  const cache = tempFolder('bench-shared');
  // In this process's group and session, so they get no more of a busy machine's CPU than --jobs N's workers.
  const workers = Array.from({ length: count }, () => startWorker(redis.url, cache, [], { ownGroup: false }));
  const events = new QueueEvents(QUEUE_NAME, { connection: { url: redis.url } });
  const heard = new Map<string, number>();
  events.on('completed', ({ jobId }) => heard.set(jobId, Date.now()));
  try {
    await Promise.all([...workers.map((w) => w.waitFor(/taking jobs/)), events.waitUntilReady()]);
    const timing = await timePipeline(ROOT, count, sweepArgs, { executor: ['--executor', 'bullmq', '--queue', redis.url], cacheDir: cache });
    return { timing, ...(await queueLatencies(redis, count, heard)) };
  } finally {
    await events.close();
    await Promise.all(workers.map((w) => w.stop()));
    fs.rmSync(cache, { recursive: true, force: true });
  }
}

/** From the queue's records of the last run (then emptied), and when its completion events arrived. */
async function queueLatencies(redis: RedisServer, workers: number, heard: Map<string, number>): Promise<QueueLatencies> {
  const queue = new Queue(QUEUE_NAME, { connection: { url: redis.url } });
  try {
    const jobs = (await queue.getJobs(['completed'])).filter((job) => job.processedOn && job.finishedOn);
    const finishes: number[] = [];
    const dispatch: number[] = [];
    for (const job of jobs.sort((a, b) => a.processedOn! - b.processedOn!)) {
      // A worker was free from the workers-th most recent finish before this start (or from the start of the run).
      const before = finishes.filter((t) => t <= job.processedOn!).sort((a, b) => b - a);
      const freeSince = before.length >= workers ? before[workers - 1] : 0;
      dispatch.push((job.processedOn! - Math.max(job.timestamp, freeSince)) / 1000);
      finishes.push(job.finishedOn!);
    }
    const notify = jobs.filter((job) => heard.has(job.id!)).map((job) => (heard.get(job.id!)! - job.finishedOn!) / 1000);
    await queue.obliterate({ force: true });
    return { dispatch, notify };
  } finally {
    await queue.close();
  }
}

async function planSize(): Promise<number> {
  const cwd = tempFolder('bench-plan');
  const dry = await runCli('run.ts', ['--dry-run', '--cache-dir', path.join(cwd, 'cache'), ...sweepArgs], cwd);
  fs.rmSync(cwd, { recursive: true, force: true });
  return dry.stdout.split('\n').filter((line) => /\bto run\b/.test(line)).length;
}

/** Seconds from SIGKILL of the worker running pretraining to that job running on the other worker. */
async function killRerun(redis: RedisServer): Promise<number | undefined> {
  const cache = tempFolder('bench-kill');
  const workers: WorkerProcess[] = [startWorker(redis.url, cache), startWorker(redis.url, cache)];
  try {
    await Promise.all(workers.map((w) => w.waitFor(/taking jobs/)));
    let killedAt: number | undefined;
    let rerunAt: number | undefined;
    const cwd = tempFolder('bench-kill-run');
    const run = await runCli('run.ts', ['--executor', 'bullmq', '--queue', redis.url, '--cache-dir', cache, '--out', path.join(cwd, 'r'), ...sweepArgs], cwd, {
      onStdout: (stdout) => {
        const starts = [...stdout.matchAll(/pretrain seed 1: running on .+ \(pid (\d+)\)/g)];
        if (killedAt === undefined && starts.length === 1) {
          killedAt = Date.now();
          process.kill(-Number(starts[0][1]), 'SIGKILL');
        } else if (killedAt !== undefined && rerunAt === undefined && starts.length === 2) {
          rerunAt = Date.now();
        }
      },
    });
    if (run.code !== 0) throw new Error(`the run after the kill failed (${run.code}):\n${run.stderr}`);
    return killedAt !== undefined && rerunAt !== undefined ? (rerunAt - killedAt) / 1000 : undefined;
  } finally {
    await Promise.all(workers.map((w) => w.stop()));
    fs.rmSync(cache, { recursive: true, force: true });
  }
}

function checked(timing: PipelineTiming): number {
  if (timing.exitCode !== 0) throw new Error(`a timed run failed (${timing.exitCode}): ${timing.args.join(' ')}\n${timing.errorTail}`);
  return timing.seconds;
}

// Ctrl-C or a timeout: exit through 'exit', where the fixtures stop every server and worker this started.
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.once(signal, () => process.exit(130));

async function main(): Promise<void> {
  if (skipWithoutRedis) throw new Error(skipWithoutRedis);
  console.log(`load average before: ${load()} (${os.availableParallelism()} cores)`);
  const jobs = await planSize();
  const redis = await startRedis();
  const report: Record<string, unknown> = { createdAt: new Date().toISOString(), args: sweepArgs, jobs, repeats, loadBefore: os.loadavg() };
  const rows: (string | number)[][] = [];
  try {
    const sweep: { local: number; bullmq: number }[] = [];
    for (let r = 0; parts.has('sweep') && r < repeats; r++) {
      const pair: Partial<{ local: number; bullmq: number }> = {};
      for (const which of r % 2 === 0 ? ['local', 'bullmq'] : ['bullmq', 'local']) {
        pair[which as 'local' | 'bullmq'] = which === 'local'
          ? checked(await timePipeline(ROOT, 2, sweepArgs))
          : checked((await timeBullmq(redis, 2)).timing);
      }
      sweep.push(pair as { local: number; bullmq: number });
      console.log(`sweep ${r + 1}/${repeats}: --jobs 2 ${pair.local!.toFixed(1)} s, two BullMQ workers ${pair.bullmq!.toFixed(1)} s`);
    }
    if (sweep.length > 0) {
      rows.push(['default sweep, --jobs 2 (s)', median(sweep.map((p) => p.local)).toFixed(1), '']);
      rows.push(['default sweep, two BullMQ workers (s)', median(sweep.map((p) => p.bullmq)).toFixed(1), '']);
      rows.push(['  ratio, pair by pair (median)', median(sweep.map((p) => p.bullmq / p.local)).toFixed(2), '≤ 1.2']);
    }

    const serial: ({ local: number; bullmq: number } & QueueLatencies)[] = [];
    for (let r = 0; parts.has('serial') && r < repeats; r++) {
      const local = checked(await timePipeline(ROOT, 1, sweepArgs));
      const { timing, dispatch, notify } = await timeBullmq(redis, 1);
      serial.push({ local, bullmq: checked(timing), dispatch, notify });
      console.log(`serial ${r + 1}/${repeats}: --jobs 1 ${local.toFixed(1)} s, one BullMQ worker ${timing.seconds.toFixed(1)} s`);
    }
    if (serial.length > 0) {
      const dispatch = serial.flatMap((p) => p.dispatch);
      const notify = serial.flatMap((p) => p.notify);
      const perJob = serial.map((p) => p.dispatch.reduce((a, b) => a + b, 0) / p.dispatch.length + p.notify.reduce((a, b) => a + b, 0) / p.notify.length);
      rows.push(['BullMQ scheduling overhead per job (dispatch + completion, mean; s)', median(perJob).toFixed(3), '< 0.5']);
      rows.push(['  queued → started on a free worker, median / max (s)', `${median(dispatch).toFixed(3)} / ${Math.max(...dispatch).toFixed(3)}`, '']);
      rows.push(['  finished → completion event heard, median / max (s)', `${median(notify).toFixed(3)} / ${Math.max(...notify).toFixed(3)}`, '']);
      rows.push([`one BullMQ worker vs --jobs 1, wall difference per job (${jobs} jobs; child start-up included; s)`, median(serial.map((p) => (p.bullmq - p.local) / jobs)).toFixed(2), '']);
    }
    report.sweep = sweep;
    report.serial = serial;

    if (parts.has('slurm')) {
      if (skipWithoutSlurm) {
        rows.push(['Slurm overhead per job', 'not measured', skipWithoutSlurm]);
      } else {
        const slurm = await startSlurm();
        try {
          const slurmSerial: { local: number; slurm: number; times: SlurmJobTimes[] }[] = [];
          const cpus = `--cpus-per-task=${os.availableParallelism()}`;
          for (let r = 0; r < repeats; r++) {
            // Both print their progress lines (the Slurm run's job notes are read from them).
            const local = checked(await timePipeline(ROOT, 1, sweepArgs, { progress: true }));
            // Each job asks for every CPU of the node, so jobs run one at a time, as with --jobs 1.
            const timing = await timePipeline(ROOT, 1, sweepArgs, { executor: ['--executor', 'slurm', `--slurm-args=${cpus}`], env: slurm.env, progress: true });
            const times = (timing.lines ?? []).map(parseSlurmJobTimes).filter((t) => t !== undefined);
            slurmSerial.push({ local, slurm: checked(timing), times });
            console.log(`slurm ${r + 1}/${repeats}: --jobs 1 ${local.toFixed(1)} s, Slurm one job at a time ${timing.seconds.toFixed(1)} s`);
          }
          const gaps = await slurmAlone(slurm.env, cpus);
          // Each job's own account (the coordinator's notes) gives its process's start-up; Slurm's own
          // time between one job's end and the next one's start is measured apart, on trivial jobs. The
          // coordinator hearing of a job's end delays only the report: Slurm starts dependents itself.
          rows.push([`Slurm overhead per job, one at a time vs --jobs 1 (s)`, median(slurmSerial.map((p) => (p.slurm - p.local) / jobs)).toFixed(2), '< 0.5']);
          rows.push(['  each job\'s process start-up: Node, build check, tfjs, backend (median, s)', median(slurmSerial.flatMap((p) => p.times.map((t) => t.startup))).toFixed(2), '']);
          rows.push([`  Slurm alone: one job's end to the next one's start, ${gaps.length + 1} trivial jobs (median, s)`, median(gaps).toFixed(2), '']);
          rows.push(['  the coordinator hearing of a job\'s end (median, s; delays only the report)', median(slurmSerial.flatMap((p) => p.times.map((t) => t.noticed))).toFixed(2), '']);
          report.slurmAloneGaps = gaps;
          report.slurm = slurmSerial;
        } finally {
          await slurm.stop();
        }
      }
    }

    if (parts.has('kill')) {
      const reruns: number[] = [];
      for (let r = 0; r < Math.min(repeats, 2); r++) {
        const seconds = await killRerun(redis);
        if (seconds !== undefined) reruns.push(seconds);
        console.log(`kill ${r + 1}: rerun after ${seconds?.toFixed(1) ?? '?'} s`);
      }
      rows.push(['killed worker: its job running again after (s, worst)', reruns.length ? Math.max(...reruns).toFixed(1) : '?', '< 60']);
      report.killReruns = reruns;
    }
  } finally {
    await redis.stop();
  }
  report.loadAfter = os.loadavg();
  console.log(`\n${formatTable(['measure', 'value', 'target'], rows)}`);
  console.log(`load average after: ${load()}`);
  const file = path.join(ROOT, 'reports', 'bench', `cluster-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  await writeFileAtomic(file, JSON.stringify(report, null, 2));
  console.log(`written to ${path.relative(process.cwd(), file)}`);
}

await main();

/**
 * The real pipeline CLI as a user runs it (package.json's script: the compiled copy, started by
 * scripts/start.mjs), timed from outside: a cold-cache run with a fresh temporary --cache-dir and
 * --out, optionally the same command again on the filled cache, the peak memory of every process
 * of the cold run (the coordinator and its worker processes), and how fast --version and --help answer.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { breakdownOf, readRunOutputs, type SweepBreakdown, type TimedLine } from './sweep-breakdown.ts';
import { median } from './stats.ts';
import { watchPeakMemory, type ProcessPeak } from './process-memory.ts';

export interface PipelineTiming {
  jobs: number;
  args: string[];
  /** Wall seconds on a cold cache. */
  seconds: number;
  /** Wall seconds of the same command again, everything cached (when asked for). */
  cachedSeconds?: number;
  exitCode: number | null;
  /** Peak resident memory of each process of the cold run, largest first (Linux; empty elsewhere). */
  memory: ProcessPeak[];
  /** The CLI's last output lines when it failed. */
  errorTail?: string;
  /** Where the wall time went (with `breakdown`). */
  breakdown?: SweepBreakdown;
  /** The cold run's progress lines (with `progress`). */
  lines?: string[];
}

interface Finished {
  seconds: number;
  code: number | null;
  output: string;
  memory: ProcessPeak[];
  /** Its output lines, time-stamped as they arrived (seconds since the start). */
  lines: TimedLine[];
}

/** Run `node scripts/start.mjs pipeline/run.ts ARGS` in `cwd`; its wall time, exit code, output, and memory. */
function runPipelineCommand(projectRoot: string, args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<Finished> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [path.join(projectRoot, 'scripts', 'start.mjs'), 'pipeline/run.ts', ...args], {
      cwd, env: { ...process.env, ...env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
    });
    const watch = watchPeakMemory(child.pid!);
    const lines: TimedLine[] = [];
    let text = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      const seconds = (performance.now() - started) / 1000;
      const parts = (partial + chunk.toString()).split('\n');
      partial = parts.pop() ?? '';
      for (const line of parts) lines.push({ seconds, text: line });
      text = (text + chunk.toString()).slice(-4000);
    });
    child.stderr.on('data', (chunk: Buffer) => { text = (text + chunk.toString()).slice(-4000); });
    child.on('error', reject);
    child.on('close', (code) => resolve({ seconds: (performance.now() - started) / 1000, code, output: text, memory: watch.stop(), lines }));
  });
}

/**
 * Run the pipeline with `--jobs N` and extra args on a cold cache (then once more on the filled
 * cache if `rerun`); temp folders are removed after. With `breakdown` the run prints its progress
 * lines (instead of --quiet), which, time-stamped as they arrive and with the timings in its
 * outputs, split the wall time into parts (sweep-breakdown.ts); with `progress` it returns them.
 * `executor`: options that put the jobs elsewhere instead of `--jobs N` (e.g. `--executor bullmq --queue …`);
 * `cacheDir`: an empty cache folder of the caller's (one that cluster workers share), kept after the run.
 */
export async function timePipeline(projectRoot: string, jobs: number, extraArgs: string[] = [], options: { rerun?: boolean; breakdown?: boolean; progress?: boolean; executor?: string[]; cacheDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<PipelineTiming> {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'semisup-bench-'));
  const cacheDir = options.cacheDir ?? path.join(temp, 'cache');
  const reportDir = path.join(temp, 'report');
  const progress = options.breakdown || options.progress;
  const args = [...(options.executor ?? ['--jobs', String(jobs)]), '--cache-dir', cacheDir, '--out', reportDir, ...(progress ? [] : ['--quiet']), ...extraArgs];
  try {
    const cold = await runPipelineCommand(projectRoot, args, temp, options.env);
    const failed = (run: Finished) => ({ errorTail: run.output.split('\n').slice(-8).join('\n') });
    const breakdown = options.breakdown && cold.code === 0 ? breakdownOf(cold.lines, cold.seconds, readRunOutputs(cacheDir, reportDir)) : undefined;
    const timing: PipelineTiming = { jobs, args, seconds: cold.seconds, exitCode: cold.code, memory: cold.memory, ...(cold.code === 0 ? {} : failed(cold)), ...(breakdown ? { breakdown } : {}), ...(options.progress ? { lines: cold.lines.map((line) => line.text) } : {}) };
    if (!options.rerun || cold.code !== 0) return timing;
    const again = await runPipelineCommand(projectRoot, args, temp, options.env);
    return { ...timing, cachedSeconds: again.seconds, exitCode: again.code, ...(again.code === 0 ? {} : failed(again)) };
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

export interface StartupTiming {
  /** Median wall seconds of `--version` and of `--help`, and how many runs each. */
  versionSeconds: number;
  helpSeconds: number;
  /**
   * `--help` rendered by yargs, as the first `--help` after a build does (later ones print the text
   * it stored: scripts/start.mjs); timed as `--quiet --help`, which is always rendered.
   */
  renderedHelpSeconds: number;
  repeats: number;
}

/** How fast the pipeline command answers --version and --help (medians of `repeats` runs after one warm-up). */
export async function timeStartup(projectRoot: string, repeats: number): Promise<StartupTiming> {
  const run = async (args: string[]) => {
    const finished = await runPipelineCommand(projectRoot, args, projectRoot);
    if (finished.code !== 0) throw new Error(`pipeline ${args.join(' ')} exited with ${finished.code}: ${finished.output}`);
    return finished.seconds;
  };
  const time = async (...args: string[]) => {
    await run(args);
    const seconds: number[] = [];
    for (let i = 0; i < repeats; i++) seconds.push(await run(args));
    return median(seconds);
  };
  return { versionSeconds: await time('--version'), helpSeconds: await time('--help'), renderedHelpSeconds: await time('--quiet', '--help'), repeats };
}

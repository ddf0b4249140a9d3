/**
 * Wall time of the real pipeline CLI on a cold cache: spawn pipeline/run.ts
 * through tsx with a fresh temporary --cache-dir and --out, as a user would run it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { breakdownOf, readRunOutputs, type SweepBreakdown, type TimedLine } from './sweep-breakdown.ts';

export interface PipelineTiming {
  jobs: number;
  args: string[];
  seconds: number;
  exitCode: number | null;
  /** The CLI's last output lines when it failed. */
  errorTail?: string;
  /** Where the wall time went (with `breakdown`). */
  breakdown?: SweepBreakdown;
}

/**
 * Run `pipeline/run.ts` with `--jobs N` and extra args on a cold cache; returns its wall time
 * (temp folders are removed after). With `breakdown` the run prints its progress lines (instead
 * of --quiet), which are time-stamped as they arrive and, with the timings in its outputs, split
 * the wall time into parts (sweep-breakdown.ts); the lines cost nothing measurable.
 * `executor`: options that put the jobs elsewhere instead of `--jobs N` (e.g. `--executor bullmq --queue …`);
 * `cacheDir`: an empty cache folder of the caller's (one that cluster workers share), kept after the run.
 */
export async function timePipeline(projectRoot: string, jobs: number, extraArgs: string[] = [], options: { breakdown?: boolean; executor?: string[]; cacheDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<PipelineTiming> {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'semisup-bench-'));
  const cacheDir = options.cacheDir ?? path.join(temp, 'cache');
  const reportDir = path.join(temp, 'report');
  const args = [...(options.executor ?? ['--jobs', String(jobs)]), '--cache-dir', cacheDir, '--out', reportDir, ...(options.breakdown ? [] : ['--quiet']), ...extraArgs];
  const tsx = import.meta.resolve('tsx');
  const started = performance.now();
  try {
    const lines: TimedLine[] = [];
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', tsx, path.join(projectRoot, 'pipeline', 'run.ts'), ...args], {
        cwd: temp, env: { ...process.env, ...options.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
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
      child.on('close', (exitCode) => resolve({ code: exitCode, output: text }));
    });
    const seconds = (performance.now() - started) / 1000;
    const breakdown = options.breakdown && code === 0 ? breakdownOf(lines, seconds, readRunOutputs(cacheDir, reportDir)) : undefined;
    return { jobs, args, seconds, exitCode: code, ...(code === 0 ? {} : { errorTail: output.split('\n').slice(-8).join('\n') }), ...(breakdown ? { breakdown } : {}) };
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

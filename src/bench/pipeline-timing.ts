/**
 * Wall time of the real pipeline CLI on a cold cache: spawn pipeline/run.ts
 * through tsx with a fresh temporary --cache-dir and --out, as a user would run it.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

export interface PipelineTiming {
  jobs: number;
  args: string[];
  seconds: number;
  exitCode: number | null;
  /** The CLI's last output lines when it failed. */
  errorTail?: string;
}

/**
 * Run `pipeline/run.ts` with `--jobs N` and extra args on a cold cache; returns its wall time (temp folders are removed after).
 * `executor`: options that put the jobs elsewhere instead of `--jobs N` (e.g. `--executor bullmq --queue …`);
 * `cacheDir`: an empty cache folder of the caller's (one that cluster workers share), kept after the run.
 */
export async function timePipeline(projectRoot: string, jobs: number, extraArgs: string[] = [], options: { executor?: string[]; cacheDir?: string; env?: NodeJS.ProcessEnv } = {}): Promise<PipelineTiming> {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'semisup-bench-'));
  const args = [...(options.executor ?? ['--jobs', String(jobs)]), '--cache-dir', options.cacheDir ?? path.join(temp, 'cache'), '--out', path.join(temp, 'report'), '--quiet', ...extraArgs];
  const tsx = import.meta.resolve('tsx');
  const started = performance.now();
  try {
    const { code, output } = await new Promise<{ code: number | null; output: string }>((resolve, reject) => {
      const child = spawn(process.execPath, ['--import', tsx, path.join(projectRoot, 'pipeline', 'run.ts'), ...args], {
        cwd: temp, env: { ...process.env, ...options.env, FORCE_COLOR: '0' }, stdio: ['ignore', 'pipe', 'pipe'],
      });
      let text = '';
      child.stdout.on('data', (chunk: Buffer) => { text = (text + chunk.toString()).slice(-4000); });
      child.stderr.on('data', (chunk: Buffer) => { text = (text + chunk.toString()).slice(-4000); });
      child.on('error', reject);
      child.on('close', (exitCode) => resolve({ code: exitCode, output: text }));
    });
    const seconds = (performance.now() - started) / 1000;
    return { jobs, args, seconds, exitCode: code, ...(code === 0 ? {} : { errorTail: output.split('\n').slice(-8).join('\n') }) };
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * Where a whole pipeline run's wall time goes, read from outside: the CLI's own output lines,
 * time-stamped as they arrive (start-up until the backend line, the dataset line, each job's
 * "done in"), and the timings its cached outputs record (each fit's trainSeconds). Nothing in
 * the pipeline is instrumented for this; a line or file it cannot find leaves its part out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { formatNumber, formatTable } from './table.ts';

/** An output line and when it arrived, in seconds after the command started. */
export interface TimedLine {
  seconds: number;
  text: string;
}

/** What a finished run's cache and report folder say about its training. */
export interface RunOutputs {
  /** Seconds inside fit() of each pretraining job. */
  pretrainFits: number[];
  /** Each classifier job's seconds inside training (its steps and the validation check after each epoch), with its labeled rows and epochs. */
  classifierFits: Array<{ seconds: number; labeled: number; epochs: number }>;
  poolSize?: number;
  pretrainEpochs?: number;
  pretrainBatchSize?: number;
  batchSize?: number;
}

export interface BreakdownRow {
  part: string;
  seconds: number;
  detail: string;
}

export interface SweepBreakdown {
  wallSeconds: number;
  rows: BreakdownRow[];
}

const JOB_DONE = /^(\S+)\b.*: done in ([\d.]+) s$/;
const JOB_RUNNING = /: running$/;

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Every `name` file one level below `dir`'s subfolders (the store's <stage>/<key>/<name>). */
function entryFiles(dir: string, name: string): string[] {
  if (!fs.existsSync(dir)) return [];
  return fs.readdirSync(dir).map((key) => path.join(dir, key, name)).filter((file) => fs.existsSync(file));
}

/** The training timings a run left in its cache folder (stage outputs) and report folder (params.json). */
export function readRunOutputs(cacheDir: string, reportDir: string): RunOutputs {
  const pretrainFits = entryFiles(path.join(cacheDir, 'pretrain'), 'summary.json')
    .map((file) => (readJson(file) as { trainSeconds?: number } | undefined)?.trainSeconds)
    .filter((s): s is number => typeof s === 'number');
  const classifierFits: RunOutputs['classifierFits'] = [];
  for (const stage of fs.existsSync(cacheDir) ? fs.readdirSync(cacheDir) : []) {
    for (const file of entryFiles(path.join(cacheDir, stage), 'score.json')) {
      const score = readJson(file) as { trainSeconds?: number; labeled?: number; epochs?: number } | undefined;
      if (score && typeof score.trainSeconds === 'number') classifierFits.push({ seconds: score.trainSeconds, labeled: score.labeled ?? 0, epochs: score.epochs ?? 0 });
    }
  }
  const params = readJson(path.join(reportDir, 'params.json')) as { config?: Record<string, unknown>; dataset?: { poolSize?: number } } | undefined;
  const num = (value: unknown): number | undefined => (typeof value === 'number' ? value : undefined);
  return {
    pretrainFits,
    classifierFits,
    poolSize: params?.dataset?.poolSize,
    pretrainEpochs: num(params?.config?.pretrainEpochs),
    pretrainBatchSize: num(params?.config?.pretrainBatchSize),
    batchSize: num(params?.config?.batchSize),
  };
}

const sum = (values: number[]): number => values.reduce((p, q) => p + q, 0);

/** Split a run's wall time into its parts; they add up to the wall time. */
export function breakdownOf(lines: TimedLine[], wallSeconds: number, outputs: RunOutputs): SweepBreakdown {
  const first = (test: (text: string) => boolean): number | undefined => lines.find((l) => test(l.text))?.seconds;
  const backendAt = first((t) => t.startsWith('backend:'));
  const datasetAt = first((t) => t.startsWith('dataset:'));
  const firstJobAt = first((t) => JOB_RUNNING.test(t));
  const reportAt = first((t) => t.startsWith('report written to'));
  const jobs = lines.flatMap((l) => {
    const match = JOB_DONE.exec(l.text.trim());
    return match ? [{ stage: match[1], seconds: Number(match[2]), at: l.seconds }] : [];
  });
  const lastJobAt = jobs.length ? Math.max(...jobs.map((j) => j.at)) : undefined;
  const stageSeconds = (test: (stage: string) => boolean): number => sum(jobs.filter((j) => test(j.stage)).map((j) => j.seconds));
  const isClassifier = (stage: string): boolean => stage !== 'prepare' && stage !== 'pretrain';

  const rows: BreakdownRow[] = [];
  const add = (part: string, seconds: number | undefined, detail = ''): void => {
    if (seconds != null && Number.isFinite(seconds)) rows.push({ part, seconds: Math.max(0, seconds), detail });
  };
  add('start-up: node, tsx, imports, options, backend', backendAt, 'until the "backend:" line');
  if (backendAt != null) add('dataset: load, fingerprint, label checks', datasetAt != null ? datasetAt - backendAt : undefined);
  if (datasetAt != null) add('plan and cache checks', firstJobAt != null ? firstJobAt - datasetAt : undefined);
  add('prepare jobs: splits', stageSeconds((s) => s === 'prepare'));

  const pretrainJobs = stageSeconds((s) => s === 'pretrain');
  const pretrainFit = sum(outputs.pretrainFits);
  const samples = outputs.poolSize && outputs.pretrainEpochs ? outputs.poolSize * outputs.pretrainEpochs * outputs.pretrainFits.length : undefined;
  add(`pretraining: fit, ${outputs.pretrainFits.length} encoders`, pretrainFit,
    samples ? `${formatNumber(samples)} samples at batch ${outputs.pretrainBatchSize ?? '?'}: ${formatNumber(samples / pretrainFit)}/s` : '');
  add('pretraining: pictures, latent scale, saving', pretrainJobs - pretrainFit);

  const classifierJobs = stageSeconds(isClassifier);
  const classifierFit = sum(outputs.classifierFits.map((f) => f.seconds));
  const batch = outputs.batchSize;
  const steps = batch ? sum(outputs.classifierFits.map((f) => Math.ceil(f.labeled / batch) * f.epochs)) : undefined;
  add(`classifiers: fit, ${outputs.classifierFits.length} jobs`, classifierFit,
    steps ? `${formatNumber(steps)} steps at batch ${batch}: ${formatNumber((classifierFit / steps) * 1e6)} µs each, with the validation check after every epoch` : '');
  add('classifiers: build or load, score the test set, save', classifierJobs - classifierFit);
  if (firstJobAt != null && lastJobAt != null) add('between jobs: cache writes, scheduling', lastJobAt - firstJobAt - sum(jobs.map((j) => j.seconds)));
  if (lastJobAt != null) add('report: tables, charts, pictures, files', reportAt != null ? reportAt - lastJobAt : undefined);
  if (reportAt != null) add('exit', wallSeconds - reportAt);
  return { wallSeconds, rows };
}

/** The breakdown as a table with each part's share of the wall time. */
export function formatBreakdown(breakdown: SweepBreakdown): string {
  const rows = breakdown.rows.map((r) => [r.part, formatNumber(r.seconds, 1), `${formatNumber((r.seconds / breakdown.wallSeconds) * 100, 0)} %`, r.detail]);
  rows.push(['total (wall clock)', formatNumber(breakdown.wallSeconds, 1), '100 %', `parts add up to ${formatNumber(sum(breakdown.rows.map((r) => r.seconds)), 1)} s`]);
  return formatTable(['part', 'seconds', 'share', 'detail'], rows);
}

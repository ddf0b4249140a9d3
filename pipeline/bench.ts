/**
 * The benchmark: how fast training runs here, and how close to what the machine allows.
 *
 *   npm run bench                          everything, including two cold-cache pipeline runs (minutes)
 *   npm run bench -- --skip-pipeline       model measurements only
 *   npm run bench -- --quick               fewer, shorter repeats (a rough number in under a minute)
 *   npm run bench -- --images 0            without the image-folder loading benchmark
 *   npm run bench -- --mnist-dir DIR       also full MNIST (the four IDX files in DIR) with --jobs 2: memory per process
 *   npm run bench:cluster                  the cluster executors instead (scripts/cluster-bench.ts)
 *
 * For each backend that loads (native, wasm, cpu) and each encoder in src/bench/encoders.ts, on
 * the embedded digits: pretraining samples/s (the real fit() loop, batch 128), fine-tuning
 * samples/s (batch 32), inference samples/s (predictRows, batch 1024), the backend's matmul
 * GFLOP/s ceiling and the share of it training achieves, where training's time goes (kernel
 * profile), one training step fused and through tfjs's tape, tensors left after an epoch (must
 * be 0) and peak RSS. Then how fast the pipeline command answers --version and --help, the
 * default pipeline's wall time on a cold cache with --jobs 1 (split into its parts: start-up,
 * dataset, pretraining, classifier steps, scoring, report) and with all cores, and the all-cores
 * run again with everything cached, with the peak memory of every process. Then how fast a folder
 * of 20,000 PNGs loads (--dataset images), with an empty dataset cache and with the cache filled.
 * Numbers are medians of --repeats timed repeats after a warm-up. Prints tables and writes
 * reports/bench/<timestamp>.json and reports/bench/latest.json.
 */
import os from 'node:os';
import path from 'node:path';
import * as tf from '#tfjs';
import yargs from '#yargs';
import { writeFileAtomic } from '../src/artifacts/atomic.ts';
import { matrixProductsOf, startBackend } from '../src/backend/start-backend.ts';
import { BENCH_ENCODERS, type BenchEncoder } from '../src/bench/encoders.ts';
import { trainingFlopsPerSample } from '../src/bench/flops.ts';
import { timeImageLoading, type ImageLoadTiming } from '../src/bench/image-loading.ts';
import { machineInfo, peakRssMb, type MachineInfo } from '../src/bench/machine.ts';
import {
  digitData, measureBatchPrep, measureInference, measureMatmulCeiling, measureStepTimes, measureTraining, MODEL_MATMUL_SHAPES, profileTraining,
  syntheticData, usesFusedStep, type BenchData, type MatmulCeiling, type MatmulShape, type Rate, type RepeatOptions, type StepTimes, type TrainingProfile, type TrainingRate,
} from '../src/bench/measure.ts';
import { timePipeline, timeStartup, type PipelineTiming, type StartupTiming } from '../src/bench/pipeline-timing.ts';
import { formatBreakdown } from '../src/bench/sweep-breakdown.ts';
import { formatNumber, formatTable } from '../src/bench/table.ts';
import type { BackendChoice } from '../src/config.ts';
import { UserError } from '../src/errors.ts';
import { runCommand } from '../src/util/command.ts';
import { isEntryScript } from '../src/util/entry-script.ts';
import { PROJECT_ROOT } from '../src/util/source-files.ts';
import { rejectSwitchValues, switchesOf } from '../src/util/switches.ts';
import { checkWritableFolder, isFolder } from '../src/util/folders.ts';
import { displayPath, userPath } from '../src/util/user-paths.ts';


/** Batch sizes of the default configuration (src/config.ts) and of predictRows. */
export const PRETRAIN_BATCH = 128;
export const FINETUNE_BATCH = 32;
export const PREDICT_BATCH = 1024;

/**
 * The targets on this machine (best backend, batch 128; pipelines on a cold cache). One core:
 * within 1.25 × the 28.0 s the same sweep takes in PyTorch 1.13 on one thread (issue 16).
 */
export const TARGETS = {
  mlpPretrainPerSecond: 10_000, convPretrainPerSecond: 2_500, pipelineOneCoreSeconds: 35, pipelineAllCoresSeconds: 180,
  /** --version and --help, and a default rerun with everything cached (issue 16). */
  startupSeconds: 0.5, cachedRerunSeconds: 1.5,
  /** Full MNIST with --jobs 2: the peak resident memory of each worker process (each runs one job at a time). */
  fullMnistJobMb: 350,
  /** Loading 20,000 28×28 PNGs: an empty dataset cache, and a filled one. */
  imageCount: 20_000, imageColdSeconds: 20, imageWarmSeconds: 1,
};

/** Full MNIST's run for memory: the labels and budgets of the README's example, shortened (memory does not grow with epochs). */
const FULL_MNIST_ARGS = ['--labels-per-class', '10,100', '--seeds', '2', '--pretrain-epochs', '2', '--finetune-epochs', '5'];

export interface BenchOptions {
  repeats: number;
  secondsPerRepeat: number;
  /** Training batches in the kernel profile. */
  profileBatches: number;
  backends: Array<Exclude<BackendChoice, 'auto'>>;
  encoders: string[];
  pipeline: boolean;
  /** Also measure encoders on backends their entry marks as slow (e.g. conv on cpu: many minutes). */
  includeSlow: boolean;
  /** PNGs in the image-loading benchmark (0: skip it). */
  images: number;
  /** A folder of full MNIST's four IDX files: measure memory per process on it with --jobs 2 (absent: skip). */
  mnistDir?: string;
  outDir: string;
}

export interface ModelResult {
  backend: string;
  encoder: string;
  describe: string;
  pretrain: TrainingRate;
  finetune: TrainingRate;
  inference: Rate;
  trainFlopsPerSample: number;
  /** Pretraining's achieved GFLOP/s (wall and per CPU-second) and as a share of the matmul ceiling. */
  pretrainGflops: number;
  pretrainGflopsPerCpuSecond: number;
  ceilingShare: number;
  profile: TrainingProfile;
  /** Share of a pretraining epoch spent preparing batches in JS (gather, noise). */
  batchPrepShare: number;
  /** One step fused and taped, where the fused dense step applies: fine-tuning at batch 32, pretraining at batch 128. */
  steps?: { finetune: StepTimes; pretrain: StepTimes };
  peakRssMbAfter: number;
}

export interface BackendResult {
  choice: string;
  name?: string;
  unavailable?: string;
  ceiling?: MatmulCeiling;
  /** On wasm, what ran the matrix products (native AVX-512 or AVX2, or the wasm kernels; SEMISUP_NATIVE_KERNELS=off compares). */
  matrixProducts?: string;
  models: ModelResult[];
  /** Encoders not measured here because their entry marks this backend as slow. */
  skipped?: string[];
}

export interface BenchReport {
  createdAt: string;
  command: string;
  machine: MachineInfo;
  loadAverageAtEnd: number[];
  options: BenchOptions;
  backends: BackendResult[];
  pipeline: PipelineTiming[];
  startup?: StartupTiming;
  fullMnist?: PipelineTiming;
  imageLoading?: ImageLoadTiming;
  peakRssMb: number;
  targets: Array<{ what: string; target: string; measured: string; met: boolean }>;
  /** Problems a reader must see: tensors left behind, failed pipeline runs. */
  problems: string[];
}

/** 4,096 of the embedded digits for encoders of the digits' shape; seeded stand-ins of the encoder's own shape otherwise (tests' tiny models). */
function dataFor(encoder: BenchEncoder): BenchData {
  const digits = digitData(4096);
  return digits.features === encoder.features && digits.classCount === encoder.classCount ? digits : syntheticData(4096, encoder.features, encoder.classCount, 3);
}

/** Measure one encoder on the active backend. */
export async function benchEncoder(encoder: BenchEncoder, backend: string, ceiling: MatmulCeiling, options: RepeatOptions & { profileBatches: number }, data: BenchData = dataFor(encoder)): Promise<ModelResult> {
  const { autoencoder, classifier } = encoder.build(1);
  try {
    const pretrain = await measureTraining(autoencoder, 'reconstruct', data, PRETRAIN_BATCH, options);
    const finetune = await measureTraining(classifier, 'classes', data, FINETUNE_BATCH, options);
    const inference = await measureInference(classifier, data, PREDICT_BATCH, options);
    // Slow backends (cpu × conv) profile fewer batches: about one repeat's worth, at least two.
    const profileBatches = Math.max(2, Math.min(options.profileBatches, Math.floor((pretrain.perSecond * options.secondsPerRepeat) / PRETRAIN_BATCH)));
    const profile = await profileTraining(autoencoder, 'reconstruct', data, PRETRAIN_BATCH, profileBatches);
    const prep = measureBatchPrep(data, PRETRAIN_BATCH, Math.min(pretrain.samplesPerRepeat, 4096), options.repeats, 'reconstruct', autoencoder);
    const fused = usesFusedStep(classifier, 'classes', data, FINETUNE_BATCH) && usesFusedStep(autoencoder, 'reconstruct', data, PRETRAIN_BATCH);
    const steps = fused ? {
      finetune: await measureStepTimes(classifier, 'classes', data, FINETUNE_BATCH, options),
      pretrain: await measureStepTimes(autoencoder, 'reconstruct', data, PRETRAIN_BATCH, options),
    } : undefined;
    const flops = trainingFlopsPerSample(autoencoder);
    const pretrainGflops = (pretrain.perSecond * flops) / 1e9;
    return {
      backend,
      encoder: encoder.name,
      describe: encoder.describe,
      pretrain,
      finetune,
      inference,
      trainFlopsPerSample: flops,
      pretrainGflops,
      pretrainGflopsPerCpuSecond: (pretrain.perCpuSecond * flops) / 1e9,
      ceilingShare: pretrainGflops / ceiling.gflops,
      profile,
      batchPrepShare: prep.secondsPerSample * pretrain.perSecond,
      ...(steps ? { steps } : {}),
      peakRssMbAfter: peakRssMb(),
    };
  } finally {
    autoencoder.dispose();
    classifier.dispose();
  }
}

/** Start `choice` and measure its ceiling and every chosen encoder; an unavailable backend is recorded, not fatal. */
export async function benchBackend(
  choice: Exclude<BackendChoice, 'auto'>,
  encoders: BenchEncoder[],
  options: RepeatOptions & { profileBatches: number; matmulShapes?: MatmulShape[]; includeSlow?: boolean },
  log: (line: string) => void,
): Promise<BackendResult> {
  let name: string;
  try {
    name = (await startBackend(choice)).name;
  } catch (error) {
    const reason = error instanceof Error ? error.message : String(error);
    log(`${choice}: unavailable (${reason})`);
    return { choice, unavailable: reason, models: [] };
  }
  log(`${name}: matmul ceiling`);
  const ceiling = await measureMatmulCeiling(options.matmulShapes ?? MODEL_MATMUL_SHAPES, options);
  const models: ModelResult[] = [];
  const skipped: string[] = [];
  for (const encoder of encoders) {
    if (!options.includeSlow && encoder.slowOn?.includes(name)) {
      log(`${name}: ${encoder.name} skipped (slow here; --include-slow measures it)`);
      skipped.push(encoder.name);
      continue;
    }
    log(`${name}: ${encoder.name}`);
    models.push(await benchEncoder(encoder, name, ceiling, options));
  }
  const matrixProducts = matrixProductsOf(name);
  return { choice, name, ceiling, ...(matrixProducts ? { matrixProducts } : {}), models, ...(skipped.length ? { skipped } : {}) };
}

const pct = (share: number): string => `${formatNumber(share * 100, 0)} %`;

/** The main table: one row per backend × encoder. */
export function modelTable(backends: BackendResult[]): string {
  const rows = backends.flatMap((b) => b.models.map((m) => [
    m.backend, m.encoder,
    formatNumber(m.pretrain.perSecond), formatNumber(m.pretrain.perCpuSecond),
    formatNumber(m.finetune.perSecond), formatNumber(m.inference.perSecond),
    formatNumber(m.pretrainGflops, 1), formatNumber(b.ceiling?.gflops, 1), pct(m.ceilingShare),
    m.pretrain.tensorsLeft + m.finetune.tensorsLeft === 0 ? '0' : `${m.pretrain.tensorsLeft + m.finetune.tensorsLeft} LEAK`,
  ]));
  return formatTable(
    ['backend', 'encoder', 'pretrain/s', 'per CPU-s', 'finetune/s', 'predict/s', 'train GFLOP/s', 'matmul ceiling', 'of ceiling', 'tensors left'],
    rows,
  );
}

/** Where pretraining's time goes, per backend × encoder. */
export function profileTable(backends: BackendResult[]): string {
  const rows = backends.flatMap((b) => b.models.map((m) => [
    m.backend, m.encoder, m.profile.path, pct(m.profile.matmulShare), pct(m.profile.otherKernelShare), pct(m.profile.outsideKernelShare), pct(m.batchPrepShare),
    m.profile.topOther.slice(0, 4).map((k) => `${k.kernel} ${formatNumber(k.share * 100, 0)}%`).join(', '),
  ]));
  return formatTable(['backend', 'encoder', 'step', 'matmul/conv', 'other kernels', 'outside kernels', 'JS batch prep', 'largest other kernels'], rows);
}

/** One training step, fused and through tfjs's tape, where the fused step applies. */
export function stepTable(backends: BackendResult[]): string | null {
  const rows = backends.flatMap((b) => b.models.flatMap((m) => (m.steps ? ([['fine-tuning, batch 32', m.steps.finetune], ['pretraining, batch 128', m.steps.pretrain]] as const) : []).map(([what, t]) => [
    m.backend, m.encoder, what, formatNumber(t.fusedMicros), formatNumber(t.tapedMicros), formatNumber(t.tapedKernelMicros), formatNumber(t.tapedEngineMicros), `${formatNumber(t.tapedMicros / t.fusedMicros, 1)}×`,
  ])));
  return rows.length ? formatTable(['backend', 'encoder', 'step', 'fused µs', 'taped µs', 'of which kernels', 'engine, tape, JS', 'fused speed-up'], rows) : null;
}

/** Compare the best backend's numbers with the targets. */
export function checkTargets(backends: BackendResult[], pipeline: PipelineTiming[], images?: ImageLoadTiming, startup?: StartupTiming, fullMnist?: PipelineTiming): BenchReport['targets'] {
  const best = (encoder: string): ModelResult | undefined => backends.flatMap((b) => b.models)
    .filter((m) => m.encoder === encoder).sort((p, q) => q.pretrain.perSecond - p.pretrain.perSecond)[0];
  const targets: BenchReport['targets'] = [];
  const rate = (m: ModelResult): string => `${formatNumber(m.pretrain.perSecond)}/s (${m.backend}; ${formatNumber(m.pretrain.perCpuSecond)} per CPU-s)`;
  const mlp = best('mlp');
  if (mlp) targets.push({ what: 'dense AE pretraining, batch 128', target: `≥ ${formatNumber(TARGETS.mlpPretrainPerSecond)} samples/s`, measured: rate(mlp), met: mlp.pretrain.perSecond >= TARGETS.mlpPretrainPerSecond });
  const conv = best('conv');
  if (conv) targets.push({ what: 'conv AE pretraining, batch 128', target: `≥ ${formatNumber(TARGETS.convPretrainPerSecond)} samples/s`, measured: rate(conv), met: conv.pretrain.perSecond >= TARGETS.convPretrainPerSecond });
  const oneCore = pipeline.find((p) => p.jobs === 1 && p.exitCode === 0);
  if (oneCore) targets.push({ what: 'default pipeline, cold cache, --jobs 1', target: `≤ ${TARGETS.pipelineOneCoreSeconds} s`, measured: `${formatNumber(oneCore.seconds, 1)} s`, met: oneCore.seconds <= TARGETS.pipelineOneCoreSeconds });
  const allCores = pipeline.filter((p) => p.jobs > 1 && p.exitCode === 0).at(-1);
  if (allCores) targets.push({ what: `default pipeline, cold cache, --jobs ${allCores.jobs}`, target: `≤ ${TARGETS.pipelineAllCoresSeconds} s`, measured: `${formatNumber(allCores.seconds, 1)} s`, met: allCores.seconds <= TARGETS.pipelineAllCoresSeconds });
  const seconds = (value: number) => `${formatNumber(value, 2)} s`;
  if (startup) {
    targets.push({ what: 'pipeline --version', target: `≤ ${TARGETS.startupSeconds} s`, measured: seconds(startup.versionSeconds), met: startup.versionSeconds <= TARGETS.startupSeconds });
    targets.push({ what: 'pipeline --help', target: `≤ ${TARGETS.startupSeconds} s`, measured: seconds(startup.helpSeconds), met: startup.helpSeconds <= TARGETS.startupSeconds });
  }
  if (allCores?.cachedSeconds !== undefined) targets.push({ what: 'default pipeline again, everything cached', target: `≤ ${TARGETS.cachedRerunSeconds} s`, measured: seconds(allCores.cachedSeconds), met: allCores.cachedSeconds <= TARGETS.cachedRerunSeconds });
  const workers = fullMnist?.memory.filter((p) => p.command.includes('worker')) ?? [];
  if (fullMnist && workers.length > 0) {
    const largest = Math.max(...workers.map((p) => p.peakMb));
    targets.push({ what: 'full MNIST --jobs 2, peak memory per job', target: `≤ ${TARGETS.fullMnistJobMb} MB`, measured: `${formatNumber(largest)} MB (largest of ${workers.length} workers)`, met: largest <= TARGETS.fullMnistJobMb });
  }
  if (images && images.images === TARGETS.imageCount) {
    const cpu = (seconds: number) => `${formatNumber(seconds, 1)} CPU-s`;
    targets.push({ what: `load ${formatNumber(images.images)} PNGs, empty cache`, target: `≤ ${TARGETS.imageColdSeconds} s`, measured: `${formatNumber(images.coldSeconds, 1)} s (${cpu(images.coldCpuSeconds)})`, met: images.coldSeconds <= TARGETS.imageColdSeconds });
    targets.push({ what: `load ${formatNumber(images.images)} PNGs, cached`, target: `≤ ${TARGETS.imageWarmSeconds} s`, measured: `${formatNumber(images.warmSeconds, 2)} s (${cpu(images.warmCpuSeconds)})`, met: images.warmSeconds <= TARGETS.imageWarmSeconds });
  }
  return targets;
}

/** The whole printed summary. */
export function formatReport(report: BenchReport): string {
  const m = report.machine;
  const lines = [
    `machine: ${m.cpuModel}, ${m.cores} cores, ${m.memoryGb} GB, Node ${m.node}, tfjs ${m.versions['@tensorflow/tfjs'] ?? '?'}; load average ${m.loadAverage.join(' ')} at start, ${report.loadAverageAtEnd.join(' ')} at end`,
    `medians of ${report.options.repeats} repeats (~${report.options.secondsPerRepeat} s each) after warm-up; pretrain batch ${PRETRAIN_BATCH}, finetune batch ${FINETUNE_BATCH}, predict batch ${PREDICT_BATCH}; samples/s by wall clock unless "per CPU-s"`,
    '',
    modelTable(report.backends),
  ];
  for (const b of report.backends.filter((x) => x.matrixProducts)) lines.push(`${b.name}: matrix products by ${b.matrixProducts}`);
  for (const b of report.backends.filter((x) => x.unavailable)) lines.push(`${b.choice}: not measured (${b.unavailable})`);
  for (const b of report.backends.filter((x) => x.skipped)) lines.push(`${b.name}: ${b.skipped!.join(', ')} not measured (slow there; --include-slow)`);
  lines.push('', 'where pretraining time goes (fused step: our kernels timed call by call; taped: tf.profile kernel times; JS batch prep timed separately):', profileTable(report.backends));
  const steps = stepTable(report.backends);
  if (steps) lines.push('', 'one training step on the digits, fused (kernels on the heap) and through tfjs\'s tape (its kernel time by tf.profile; the rest is the engine):', steps);
  if (report.startup) {
    const { repeats, versionSeconds, helpSeconds, renderedHelpSeconds } = report.startup;
    lines.push('', `pipeline command start-up (median of ${repeats}): --version ${formatNumber(versionSeconds, 2)} s, --help ${formatNumber(helpSeconds, 2)} s (rendered, as the first after a build: ${formatNumber(renderedHelpSeconds, 2)} s)`);
  }
  const memory = (p: PipelineTiming) => p.memory.map((m) => `${m.command.includes('worker') ? 'worker' : 'main'} ${formatNumber(m.peakMb)}`).join(', ') || '–';
  if (report.pipeline.length > 0) {
    lines.push('', formatTable(['default pipeline', 'cold cache s', 'all cached s', 'exit', 'peak MB per process (cold)'], report.pipeline.map((p) => [
      `--jobs ${p.jobs}`, formatNumber(p.seconds, 1), p.cachedSeconds === undefined ? '–' : formatNumber(p.cachedSeconds, 2), p.exitCode ?? 'signal', memory(p),
    ])));
  }
  if (report.fullMnist) {
    const f = report.fullMnist;
    lines.push('', formatTable(['full MNIST (--dataset idx)', 'wall s', 'exit', 'peak MB per process'], [[f.args.filter((a) => !a.startsWith('/')).join(' '), formatNumber(f.seconds, 1), f.exitCode ?? 'signal', memory(f)]]));
  }
  for (const p of report.pipeline.filter((x) => x.breakdown)) {
    lines.push('', `where the default pipeline's time goes, --jobs ${p.jobs} (its output lines time-stamped as they arrive, and the fit timings in its outputs):`, formatBreakdown(p.breakdown!));
  }
  if (report.imageLoading) {
    const i = report.imageLoading;
    lines.push('', formatTable(['load 28×28 PNGs (--dataset images)', 'images', 'wall s', 'CPU s'], [
      ['empty dataset cache (decode all)', formatNumber(i.images), formatNumber(i.coldSeconds, 1), formatNumber(i.coldCpuSeconds, 1)],
      [`cached (median of ${i.warmRepeats})`, formatNumber(i.images), formatNumber(i.warmSeconds, 2), formatNumber(i.warmCpuSeconds, 2)],
    ]));
  }
  lines.push('', `peak RSS of the bench process: ${formatNumber(report.peakRssMb)} MB`);
  if (report.targets.length > 0) {
    lines.push('', formatTable(['target', 'wanted', 'measured', 'met'], report.targets.map((t) => [t.what, t.target, t.measured, t.met ? 'yes' : 'NO'])));
  }
  for (const problem of report.problems) lines.push(`PROBLEM: ${problem}`);
  return lines.join('\n');
}

/** Run every measurement the options ask for and return the report (no files written). */
export async function runBench(options: BenchOptions, log: (line: string) => void = () => undefined): Promise<BenchReport> {
  const createdAt = new Date();
  const machine = machineInfo(PROJECT_ROOT);
  const encoders = options.encoders.map((name) => {
    const found = BENCH_ENCODERS.find((e) => e.name === name);
    if (!found) throw new UserError(`--encoders: unknown encoder "${name}"; known: ${BENCH_ENCODERS.map((e) => e.name).join(', ')}.`);
    return found;
  });
  const backends: BackendResult[] = [];
  for (const choice of options.backends) backends.push(await benchBackend(choice, encoders, options, log));
  log('pipeline --version and --help');
  const startup = await timeStartup(PROJECT_ROOT, options.repeats);
  const pipeline: PipelineTiming[] = [];
  if (options.pipeline) {
    const cores = os.cpus().length;
    for (const jobs of [...new Set([1, cores])]) {
      log(`pipeline --jobs ${jobs} (cold cache${jobs === cores ? ', then again cached' : ''})`);
      pipeline.push(await timePipeline(PROJECT_ROOT, jobs, [], { breakdown: jobs === 1, rerun: jobs === cores }));
    }
  }
  let fullMnist: PipelineTiming | undefined;
  if (options.mnistDir) {
    log(`full MNIST from ${options.mnistDir}, --jobs 2 (memory per process)`);
    fullMnist = await timePipeline(PROJECT_ROOT, 2, ['--dataset', 'idx', '--data-dir', options.mnistDir, ...FULL_MNIST_ARGS]);
  }
  let imageLoading: ImageLoadTiming | undefined;
  if (options.images > 0) {
    log(`image loading: ${options.images} PNGs`);
    imageLoading = await timeImageLoading(options.images, options.repeats >= 5 ? 5 : 3, (line) => log(`image loading: ${line}`));
  }
  const problems: string[] = [];
  for (const m of backends.flatMap((b) => b.models)) {
    if (m.pretrain.tensorsLeft !== 0) problems.push(`${m.backend} ${m.encoder}: pretraining epoch left ${m.pretrain.tensorsLeft} tensors`);
    if (m.finetune.tensorsLeft !== 0) problems.push(`${m.backend} ${m.encoder}: fine-tuning epoch left ${m.finetune.tensorsLeft} tensors`);
  }
  for (const p of [...pipeline, ...(fullMnist ? [fullMnist] : [])].filter((x) => x.exitCode !== 0)) problems.push(`pipeline ${p.args.join(' ')} exited with ${p.exitCode}:\n${p.errorTail ?? ''}`);
  return {
    createdAt: createdAt.toISOString(),
    command: `npm run bench -- ${process.argv.slice(2).join(' ')}`.trim(),
    machine,
    loadAverageAtEnd: os.loadavg().map((l) => Math.round(l * 100) / 100),
    options,
    backends,
    pipeline,
    startup,
    ...(fullMnist ? { fullMnist } : {}),
    ...(imageLoading ? { imageLoading } : {}),
    peakRssMb: peakRssMb(),
    targets: checkTargets(backends, pipeline, imageLoading, startup, fullMnist),
    problems,
  };
}

/** Write the report as reports/bench/<timestamp>.json and latest.json (atomically); returns the timestamped path. */
export async function writeBenchReport(report: BenchReport, outDir: string): Promise<string> {
  const stamp = report.createdAt.replace(/\..*$/, '').replace(/:/g, '-');
  const file = path.join(outDir, `${stamp}.json`);
  const json = `${JSON.stringify(report, null, 2)}\n`;
  await writeFileAtomic(file, json);
  await writeFileAtomic(path.join(outDir, 'latest.json'), json);
  return file;
}

async function parseOptions(argv: string[]): Promise<BenchOptions> {
  const parser = yargs(argv)
    .scriptName('npm run bench --')
    .usage('$0 [options]\n\nTraining and inference throughput per backend and encoder, the matmul ceiling, and the pipeline\'s cold-cache wall time.')
    .option('repeats', { type: 'number', describe: 'Timed repeats per measurement (the median is reported)', defaultDescription: '5, or 3 with --quick' })
    .option('quick', { type: 'boolean', default: false, describe: 'Fewer and shorter repeats, a smaller profile, and no pipeline runs' })
    .option('pipeline', { type: 'boolean', describe: 'Time the default pipeline on a cold cache with --jobs 1 and all cores (minutes)', defaultDescription: 'true, false with --quick' })
    .option('skip-pipeline', { type: 'boolean', default: false, describe: 'Same as --no-pipeline' })
    .option('include-slow', { type: 'boolean', default: false, describe: 'Also measure encoders on backends where they take many minutes (conv on cpu)' })
    .option('backends', { type: 'string', default: 'native,wasm,cpu', describe: 'Backends to try, in order (those that do not load are listed as such)' })
    .option('encoders', { type: 'string', default: BENCH_ENCODERS.map((e) => e.name).join(','), describe: 'Encoders to measure' })
    .option('images', { type: 'number', describe: 'PNGs in the image-folder loading benchmark (0 skips it)', defaultDescription: `${TARGETS.imageCount}, or 2000 with --quick` })
    .option('mnist-dir', { type: 'string', describe: 'Folder of full MNIST\'s four IDX files: also run it with --jobs 2 and report the memory of each process' })
    .option('seconds', { type: 'number', describe: 'Target length of one timed repeat', defaultDescription: '1, or 0.4 with --quick' })
    .option('out-dir', { type: 'string', describe: 'Folder for <timestamp>.json and latest.json', defaultDescription: 'reports/bench' })
    .example('$0 --skip-pipeline', 'model measurements only (about two minutes)')
    .example('$0 --quick --backends wasm', 'a rough number in well under a minute')
    .strict()
    .help()
    .fail((message, error) => { throw error ?? new UserError(`${message}. See --help.`); });
  rejectSwitchValues(argv, switchesOf(parser));
  const args = await parser.parseAsync();
  const quick = args.quick;
  const repeats = args.repeats ?? (quick ? 3 : 5);
  // yargs turns a value that is not a number into NaN: say what was expected rather than echo "NaN".
  const shown = (value: number) => (Number.isNaN(value) ? 'is not a number' : value);
  if (!Number.isInteger(repeats) || repeats < 1) throw new UserError(`--repeats ${shown(repeats)}: give a whole number ≥ 1.`);
  if (args.seconds !== undefined && !(Number.isFinite(args.seconds) && args.seconds > 0)) throw new UserError(`--seconds ${shown(args.seconds)}: give a positive number of seconds, e.g. 1.`);
  for (const name of ['backends', 'encoders', 'out-dir', 'repeats', 'seconds', 'mnist-dir'] as const) {
    if (Array.isArray(args[name])) throw new UserError(`--${name} was given more than once: give it once.`);
  }
  const images = args.images ?? (quick ? 2000 : TARGETS.imageCount);
  if (!Number.isInteger(images) || images < 0) throw new UserError(`--images ${shown(images)}: give a whole number of images (0 skips the image benchmark).`);
  const backends = args.backends.split(',').map((s) => s.trim()).filter(Boolean);
  for (const b of backends) if (!['native', 'wasm', 'cpu'].includes(b)) throw new UserError(`--backends: unknown backend "${b}"; use native, wasm, cpu.`);
  if (backends.length === 0) throw new UserError('--backends is empty: give one or more of native, wasm, cpu.');
  const encoders = args.encoders.split(',').map((s) => s.trim()).filter(Boolean);
  if (encoders.length === 0) throw new UserError(`--encoders is empty: give one or more of ${BENCH_ENCODERS.map((e) => e.name).join(', ')}.`);
  const typedOut = args['out-dir'];
  if (typedOut !== undefined && typedOut.trim() === '') throw new UserError('--out-dir is empty: give a folder path.');
  // The default reports/bench is the project's; a folder the user types is relative to where they typed it.
  const outDir = typedOut === undefined ? path.join(PROJECT_ROOT, 'reports', 'bench') : userPath(typedOut);
  // Checked now: the measurements take minutes, and their results must have somewhere to go.
  checkWritableFolder(typedOut === undefined ? 'the bench folder reports/bench' : `--out-dir ${typedOut}`, outDir);
  const mnistDir = args['mnist-dir'] === undefined ? undefined : userPath(args['mnist-dir']);
  if (mnistDir !== undefined && !isFolder(mnistDir)) throw new UserError(`--mnist-dir ${args['mnist-dir']} is not a folder: give the folder holding full MNIST's four IDX files.`);
  return {
    repeats,
    secondsPerRepeat: args.seconds ?? (quick ? 0.4 : 1),
    profileBatches: quick ? 4 : 16,
    backends: backends as BenchOptions['backends'],
    encoders,
    pipeline: !args['skip-pipeline'] && (args.pipeline ?? !quick),
    includeSlow: args['include-slow'],
    images,
    ...(mnistDir ? { mnistDir } : {}),
    outDir,
  };
}

/** CLI entry: measure, print the table, write the JSON; exit 1 when a measurement found a problem (e.g. leaked tensors). */
export async function main(argv: string[]): Promise<void> {
  await runCommand(async () => {
    const options = await parseOptions(argv);
    tf.enableProdMode();
    const report = await runBench(options, (line) => process.stderr.write(`bench: ${line}\n`));
    process.stdout.write(`${formatReport(report)}\n`);
    const file = await writeBenchReport(report, options.outDir);
    process.stdout.write(`\nbench written to ${displayPath(file)} (and latest.json beside it)\n`);
    if (report.problems.length > 0) process.exitCode = 1;
  });
}

if (isEntryScript(import.meta.url)) void main(process.argv.slice(2));

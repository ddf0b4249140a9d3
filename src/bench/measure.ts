/**
 * The bench's measurements, each a function of a model or a backend that
 * returns medians over repeats after a warm-up: training throughput through
 * the real fit() loop, inference through predictRows(), the matmul ceiling,
 * a kernel-time profile of training, the time of one training step fused and
 * taped, and the JS-side batch preparation.
 */
import * as tf from '#tfjs';
import { activeSimdKernels, type KernelExports } from '../backend/simd-kernels.ts';
import type { FeatureValues } from '../data/dataset.ts';
import { loadEmbeddedMnist } from '../data/embedded.ts';
import { applyMaskingNoise, epochOrder, gatherRows, oneHotRows } from '../train/batches.ts';
import { fit, predictRows, type Target } from '../train/fit.ts';
import { createFusedDenseStep } from '../train/fused-dense-step.ts';
import { createRng } from '../util/rng.ts';
import { median, samplesForDuration } from './stats.ts';

/** Rows to train and predict on (flat, values in [0, 1]) with their labels. */
export interface BenchData {
  x: FeatureValues;
  y: Int32Array;
  features: number;
  classCount: number;
  rows: number;
}

/**
 * The first `rows` of the embedded digits: what the pipeline trains on. Speed depends on the
 * content since the first dense layer skips zero pixels (about 80 % of a digit), so uniform
 * random stand-ins would understate it.
 */
export function digitData(rows: number): BenchData {
  const digits = loadEmbeddedMnist();
  const features = digits.x.length / digits.y.length;
  const n = Math.min(rows, digits.y.length);
  return { x: digits.x.slice(0, n * features), y: digits.y.slice(0, n), features, classCount: digits.classNames.length, rows: n };
}

/** `rows` seeded rows of `features` values in [0, 1] (no zeros) and labels cycling through `classCount` classes: small stand-ins for tests. */
export function syntheticData(rows: number, features: number, classCount: number, seed: number): BenchData {
  const rng = createRng(seed);
  const x = new Float32Array(rows * features);
  for (let i = 0; i < x.length; i++) x[i] = rng.next();
  const y = Int32Array.from({ length: rows }, (_, i) => i % classCount);
  return { x, y, features, classCount, rows };
}

/** `count` row indices cycling over the data's rows (a timed epoch may be longer than the data). */
function indicesOf(data: BenchData, count: number): Int32Array {
  return Int32Array.from({ length: count }, (_, i) => i % data.rows);
}

export interface RepeatOptions {
  /** Timed repeats after the warm-up; the result is their median. */
  repeats: number;
  /** Aim for about this long per timed repeat. */
  secondsPerRepeat: number;
}

export interface Rate {
  /** Median samples per wall-clock second. */
  perSecond: number;
  /** Median samples per second of this process's CPU time (steadier when other processes share the cores). */
  perCpuSecond: number;
  samplesPerRepeat: number;
  repeats: number;
}

/** Time `run(samples)` `repeats` times on a sample count sized from a short calibration run; medians of wall and CPU rates. */
export async function measureRate(run: (samples: number) => Promise<void>, unit: number, options: RepeatOptions, minUnits = 2): Promise<Rate> {
  const timeOnce = async (samples: number): Promise<{ wall: number; cpu: number }> => {
    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    await run(samples);
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    return { wall, cpu: (cpu.user + cpu.system) / 1e6 };
  };
  const probe = unit * minUnits;
  await timeOnce(probe); // warm-up: kernel setup, first allocations, JIT
  const calibration = await timeOnce(probe);
  const samples = samplesForDuration(probe / calibration.wall, options.secondsPerRepeat, unit, minUnits);
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let r = 0; r < options.repeats; r++) {
    const t = await timeOnce(samples);
    wall.push(samples / t.wall);
    cpu.push(samples / Math.max(t.cpu, 1e-6));
  }
  return { perSecond: median(wall), perCpuSecond: median(cpu), samplesPerRepeat: samples, repeats: options.repeats };
}

export interface TrainingRate extends Rate {
  /** Most tensors any one fit() call left allocated (must be 0). */
  tensorsLeft: number;
}

/** What to train: reconstruct (denoising autoencoder, as pretraining) or classes (as fine-tuning). */
export type TrainKind = 'reconstruct' | 'classes';

function targetOf(kind: TrainKind, data: BenchData): Target {
  return kind === 'reconstruct'
    ? { kind: 'reconstruct', noise: 0.3, loss: 'binary-crossentropy' }
    : { kind: 'classes', y: data.y, classCount: data.classCount };
}

/** Training samples/s of one-epoch fit() calls (the pipeline's own loop: batches, noise, Adam), and tensors left behind; `fusedStep: false` times tfjs's taped step. */
export async function measureTraining(model: tf.LayersModel, kind: TrainKind, data: BenchData, batchSize: number, options: RepeatOptions, fusedStep = true): Promise<TrainingRate> {
  let tensorsLeft = 0;
  let call = 0;
  const rate = await measureRate(async (samples) => {
    const before = tf.memory().numTensors;
    await fit({
      model, x: data.x, features: data.features, indices: indicesOf(data, samples), target: targetOf(kind, data),
      epochs: 1, batchSize, learningRate: 1e-3, rng: createRng(++call), fusedStep,
    });
    tensorsLeft = Math.max(tensorsLeft, tf.memory().numTensors - before);
  }, batchSize, options);
  return { ...rate, tensorsLeft };
}

/** Inference samples/s of predictRows() in chunks of `batchSize`. */
export async function measureInference(model: tf.LayersModel, data: BenchData, batchSize: number, options: RepeatOptions): Promise<Rate> {
  return measureRate(async (samples) => {
    await predictRows(model, data.x, data.features, indicesOf(data, samples), batchSize);
  }, batchSize, options, 1);
}

export interface MatmulShape {
  m: number;
  k: number;
  n: number;
}

export interface MatmulCeiling {
  /** The best median GFLOP/s over the shapes: what this backend's matmul can do here. */
  gflops: number;
  gflopsPerCpuSecond: number;
  shapes: Array<MatmulShape & { gflops: number; gflopsPerCpuSecond: number }>;
}

/** Shapes of the dense autoencoder's matmuls at batch 128 (forward and the two gradients, transposes already applied) plus one square. */
export const MODEL_MATMUL_SHAPES: MatmulShape[] = [
  { m: 128, k: 784, n: 256 },
  { m: 128, k: 256, n: 784 },
  { m: 784, k: 128, n: 256 },
  { m: 512, k: 512, n: 512 },
];

/** GFLOP/s of plain float32 a·b (no transposes, no bias) per shape on the active backend; the ceiling training is compared with. */
export async function measureMatmulCeiling(shapes: MatmulShape[], options: RepeatOptions): Promise<MatmulCeiling> {
  const results: MatmulCeiling['shapes'] = [];
  for (const { m, k, n } of shapes) {
    const a = tf.randomUniform([m, k], -1, 1, 'float32', 1);
    const b = tf.randomUniform([k, n], -1, 1, 'float32', 2);
    const flops = 2 * m * k * n;
    const rate = await measureRate(async (count) => {
      for (let i = 0; i < count; i++) {
        const c = tf.matMul(a, b);
        if (i === count - 1) await c.data(); // backends that queue work finish it inside the timing
        c.dispose();
      }
    }, 1, options, 3);
    a.dispose();
    b.dispose();
    results.push({ m, k, n, gflops: (rate.perSecond * flops) / 1e9, gflopsPerCpuSecond: (rate.perCpuSecond * flops) / 1e9 });
  }
  const best = results.reduce((p, q) => (q.gflops > p.gflops ? q : p));
  return { gflops: best.gflops, gflopsPerCpuSecond: Math.max(...results.map((r) => r.gflopsPerCpuSecond)), shapes: results };
}

/** Kernels that multiply matrices (or convolve); everything else is elementwise work, reductions, the loss and the optimizer. */
const MATMUL_KERNELS = new Set(['BatchMatMul', '_FusedMatMul', 'Conv2D', 'FusedConv2D', 'Conv2DBackpropFilter', 'Conv2DBackpropInput', 'DepthwiseConv2dNative']);
/** semisup's own kernels that multiply matrices (kernels.wasm exports). */
const OWN_MATMUL_KERNELS = new Set(['gemm', 'gemmSparseA']);

export interface TrainingProfile {
  /** How the step ran: the fused dense step (our kernels timed call by call) or tfjs's taped step (tf.profile). */
  path: 'fused' | 'taped';
  /** Shares of an unprofiled epoch's wall time (per-kernel times over the same batches, unprofiled median as the whole). */
  matmulShare: number;
  otherKernelShare: number;
  /** The rest: JS batch preparation, the engine's tape and bookkeeping, layer code, and time the OS gave to other processes. */
  outsideKernelShare: number;
  /** The largest non-matmul kernels by time, with their share. */
  topOther: Array<{ kernel: string; share: number }>;
}

/** Whether fit() takes the fused dense step for this model and kind on the active backend. */
export function usesFusedStep(model: tf.LayersModel, kind: TrainKind, data: BenchData, batchSize: number): boolean {
  const step = createFusedDenseStep({ model, x: data.x, features: data.features, indices: indicesOf(data, batchSize), batchSize, loss: kind === 'classes' ? 'softmax' : 'sigmoid-logits', groups: [] });
  step?.dispose();
  return step != null;
}

/** Milliseconds spent in each of our SIMD kernels while `run` runs: their exports swapped for timed ones meanwhile. */
async function timeOwnKernels(run: () => Promise<void>): Promise<Map<string, number>> {
  const times = new Map<string, number>();
  const simd = activeSimdKernels();
  if (simd == null) {
    await run();
    return times;
  }
  const original = simd.kernels.exports;
  const timed: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(original)) {
    timed[name] = typeof value !== 'function' ? value : (...args: number[]) => {
      const t0 = performance.now();
      try {
        return (value as (...a: number[]) => unknown)(...args);
      } finally {
        times.set(name, (times.get(name) ?? 0) + performance.now() - t0);
      }
    };
  }
  simd.kernels.exports = timed as unknown as KernelExports;
  try {
    await run();
  } finally {
    simd.kernels.exports = original;
  }
  return times;
}

/**
 * Where one training epoch's time goes, against the median wall time of unprofiled runs of the
 * same batches: for the fused dense step, the time in each of our kernels (timed call by call);
 * for tfjs's taped step, tf.profile's per-kernel times.
 */
export async function profileTraining(model: tf.LayersModel, kind: TrainKind, data: BenchData, batchSize: number, batches: number, repeats = 3): Promise<TrainingProfile> {
  const indices = indicesOf(data, batchSize * batches);
  const run = async (): Promise<void> => {
    await fit({ model, x: data.x, features: data.features, indices, target: targetOf(kind, data), epochs: 1, batchSize, learningRate: 1e-3, rng: createRng(1) });
  };
  await run(); // warm-up
  const walls: number[] = [];
  for (let r = 0; r < repeats; r++) {
    const t0 = performance.now();
    await run();
    walls.push(performance.now() - t0);
  }
  const wall = median(walls);
  const fused = usesFusedStep(model, kind, data, batchSize);
  let matmul = 0;
  const other = new Map<string, number>();
  if (fused) {
    for (const [name, ms] of await timeOwnKernels(run)) {
      if (OWN_MATMUL_KERNELS.has(name)) matmul += ms;
      else other.set(name, ms);
    }
  } else {
    const info = await tf.profile(async () => { await run(); return []; });
    for (const k of info.kernels) {
      if (k.name.includes('__op')) continue; // an op wrapper (custom gradient): its inner kernels are listed too
      const ms = Number(k.kernelTimeMs) || 0;
      if (MATMUL_KERNELS.has(k.name)) matmul += ms;
      else other.set(k.name, (other.get(k.name) ?? 0) + ms);
    }
  }
  const otherTotal = [...other.values()].reduce((p, q) => p + q, 0);
  const total = Math.max(wall, matmul + otherTotal);
  return {
    path: fused ? 'fused' : 'taped',
    matmulShare: matmul / total,
    otherKernelShare: otherTotal / total,
    outsideKernelShare: (total - matmul - otherTotal) / total,
    topOther: [...other].sort((p, q) => q[1] - p[1]).slice(0, 5).map(([kernel, ms]) => ({ kernel, share: ms / total })),
  };
}

export interface StepTimes {
  /** Microseconds per training step (median; wall clock), fused and taped, for the same batches. */
  fusedMicros: number;
  tapedMicros: number;
  /** Of the taped step: microseconds inside kernels (tf.profile), and the rest (the engine's tape and bookkeeping, layer code, JS). */
  tapedKernelMicros: number;
  tapedEngineMicros: number;
}

/** One training step of `model` at `batchSize`, fused and through tfjs's tape (with its kernel time): what the engine's per-kernel path costs. */
export async function measureStepTimes(model: tf.LayersModel, kind: TrainKind, data: BenchData, batchSize: number, options: RepeatOptions): Promise<StepTimes> {
  const fused = await measureTraining(model, kind, data, batchSize, options, true);
  const taped = await measureTraining(model, kind, data, batchSize, options, false);
  const perStep = (rate: number): number => (batchSize / rate) * 1e6;
  const batches = 8;
  const indices = indicesOf(data, batchSize * batches);
  const info = await tf.profile(async () => {
    await fit({ model, x: data.x, features: data.features, indices, target: targetOf(kind, data), epochs: 1, batchSize, learningRate: 1e-3, rng: createRng(2), fusedStep: false });
    return [];
  });
  const kernelMs = info.kernels.filter((k) => !k.name.includes('__op')).reduce((sum, k) => sum + (Number(k.kernelTimeMs) || 0), 0);
  const tapedMicros = perStep(taped.perSecond);
  const tapedKernelMicros = Math.min(tapedMicros, (kernelMs / batches) * 1000);
  return { fusedMicros: perStep(fused.perSecond), tapedMicros, tapedKernelMicros, tapedEngineMicros: tapedMicros - tapedKernelMicros };
}

/**
 * Seconds per sample of fit()'s JS-side batch work (shuffle, row gathers, masking noise or class
 * targets), done as fit() does it: through the fused step of `fusedModel` where it trains that model
 * (rows gathered once into the heap, image bytes made floats there, the noise's random draws only,
 * since the step applies the mask), else the taped path's gathers into JS buffers. Says which it
 * timed. (It mirrors fit()'s loop for masking noise and class targets, the cases the bench trains.)
 */
export function measureBatchPrep(data: BenchData, batchSize: number, samples: number, repeats: number, kind: TrainKind = 'reconstruct', fusedModel?: tf.LayersModel): { secondsPerSample: number; path: 'fused' | 'taped' } {
  const indices = indicesOf(data, samples);
  const fused = fusedModel ? createFusedDenseStep({ model: fusedModel, x: data.x, features: data.features, indices, batchSize, loss: kind === 'classes' ? 'softmax' : 'sigmoid-logits', groups: [] }) : null;
  const input = fused ? null : new Float32Array(batchSize * data.features);
  const clean = fused ? null : new Float32Array(batchSize * data.features);
  const oneHot = new Float32Array(batchSize * data.classCount);
  const rng = createRng(5);
  const times: number[] = [];
  try {
    for (let r = 0; r <= repeats; r++) {
      const t0 = performance.now();
      const order = epochOrder(indices, rng);
      for (let start = 0; start < order.length; start += batchSize) {
        const end = Math.min(order.length, start + batchSize);
        const rows = fused ? fused.gatherRows(data.x, data.features, order, start, end) : gatherRows(data.x, data.features, order, start, end, input!);
        if (kind === 'classes') oneHotRows(data.y, data.classCount, order, start, end, oneHot);
        else if (fused) fused.maskingNoise(rows, 0.3, rng);
        else {
          gatherRows(data.x, data.features, order, start, end, clean!);
          applyMaskingNoise(rows, 0.3, rng);
        }
      }
      if (r > 0) times.push((performance.now() - t0) / 1000 / samples);
    }
  } finally {
    fused?.dispose();
  }
  return { secondsPerSample: median(times), path: fused ? 'fused' : 'taped' };
}

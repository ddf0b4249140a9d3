/**
 * Training throughput (samples/s) of a dense and a small conv autoencoder on the wasm backend,
 * with and without the kernel overrides of src/backend/wasm-kernels.ts, and on cpu for reference.
 *
 *   npx tsx scripts/kernel-speed.ts [--repeats 5] [--steps 16] [--only dense|conv] [--no-cpu]
 *
 * Each measurement: build the model, one warm-up repeat, then `repeats` timed repeats of `steps`
 * trainOnBatch calls (batch 128, Adam); prints the median samples/s.
 */
import * as tf from '#tfjs';
import {
  initWasmBackend,
  registerWasmKernelOverrides,
  unregisterWasmKernelOverrides,
} from '../src/backend/wasm-kernels.ts';
import { createRng } from '../src/util/rng.ts';

const BATCH = 128;

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
const repeats = Number(arg('repeats', '5'));
const steps = Number(arg('steps', '16'));
const only = arg('only', 'all');
const withCpu = !process.argv.includes('--no-cpu');

type ModelKind = 'dense' | 'conv';

function buildModel(kind: ModelKind, seed: number): tf.LayersModel {
  const rng = createRng(seed);
  const init = () => tf.initializers.glorotUniform({ seed: rng.uint32() });
  const model = tf.sequential();
  if (kind === 'dense') {
    model.add(tf.layers.dense({ inputShape: [784], units: 256, activation: 'relu', kernelInitializer: init() }));
    model.add(tf.layers.dense({ units: 64, activation: 'relu', kernelInitializer: init() }));
    model.add(tf.layers.dense({ units: 256, activation: 'relu', kernelInitializer: init() }));
    model.add(tf.layers.dense({ units: 784, activation: 'sigmoid', kernelInitializer: init() }));
  } else {
    const conv = { kernelSize: 3, strides: 2, padding: 'same' as const };
    model.add(tf.layers.conv2d({ inputShape: [28, 28, 1], filters: 32, activation: 'relu', ...conv, kernelInitializer: init() }));
    model.add(tf.layers.conv2d({ filters: 64, activation: 'relu', ...conv, kernelInitializer: init() }));
    model.add(tf.layers.conv2dTranspose({ filters: 32, activation: 'relu', ...conv, kernelInitializer: init() }));
    model.add(tf.layers.conv2dTranspose({ filters: 1, activation: 'sigmoid', ...conv, kernelInitializer: init() }));
  }
  model.compile({ optimizer: tf.train.adam(1e-3), loss: 'binaryCrossentropy' });
  return model;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Median samples/s by wall clock and by this process's CPU time (robust when other work shares the machine). */
async function measure(kind: ModelKind, backend: string, stepsHere: number, repeatsHere = repeats): Promise<[number, number]> {
  await tf.setBackend(backend);
  const rng = createRng(7);
  const shape = kind === 'dense' ? [BATCH, 784] : [BATCH, 28, 28, 1];
  const values = Float32Array.from({ length: BATCH * 784 }, () => rng.next());
  const x = tf.tensor(values, shape);
  const model = buildModel(kind, 11);
  const rates: number[] = [];
  const cpuRates: number[] = [];
  for (let r = 0; r <= repeatsHere; r++) {
    const t0 = performance.now();
    const c0 = process.cpuUsage();
    for (let s = 0; s < stepsHere; s++) await model.trainOnBatch(x, x);
    const seconds = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(c0);
    if (r > 0) {
      rates.push((stepsHere * BATCH) / seconds);
      cpuRates.push((stepsHere * BATCH) / ((cpu.user + cpu.system) / 1e6));
    }
  }
  model.optimizer.dispose();
  model.dispose();
  x.dispose();
  return [median(rates), median(cpuRates)];
}

async function main(): Promise<void> {
  tf.enableProdMode();
  await initWasmBackend();
  const rows: [string, string, [number, number] | string][] = [];
  const kinds: ModelKind[] = only === 'all' ? ['dense', 'conv'] : [only as ModelKind];
  for (const kind of kinds) {
    registerWasmKernelOverrides();
    rows.push([kind, 'wasm + overrides', await measure(kind, 'wasm', steps)]);
    unregisterWasmKernelOverrides();
    if (kind === 'dense') rows.push([kind, 'wasm stock', await measure(kind, 'wasm', steps)]);
    else rows.push([kind, 'wasm stock', 'cannot train (no Conv2DBackpropFilter)']);
    registerWasmKernelOverrides();
    // cpu is 30–200× slower: a short measurement is enough for a reference number.
    if (withCpu) rows.push([kind, 'cpu', await measure(kind, 'cpu', kind === 'dense' ? 4 : 1, kind === 'dense' ? repeats : 1)]);
    console.log(`${kind} done`);
  }
  console.log(`batch ${BATCH}, Adam, median of ${repeats} repeats × ${steps} steps after warm-up`);
  for (const [kind, backend, rate] of rows) {
    const text = typeof rate === 'string' ? rate
      : `${Math.round(rate[0])} samples/s (wall), ${Math.round(rate[1])} samples/s (per CPU-second)`;
    console.log(`${kind.padEnd(6)} ${backend.padEnd(18)} ${text}`);
  }
  if (tf.memory().numTensors !== 0) console.log(`note: ${tf.memory().numTensors} tensors still allocated`);
}

await main();

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as tf from '#tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { chooseNativeKernels, loadNativeAddon, NATIVE_ADDON_PATH, nativeKernelsOn, type GemmArguments, type NativeAddon, type NativeKernelFunctions } from '../src/backend/native-kernels.ts';
import { GEMM_ACCUMULATE, GEMM_BIAS_AFTER, GEMM_MASK_POSITIVE, GEMM_RELU, instantiateKernels, simdKernelsFor, type KernelExports, type SimdKernels } from '../src/backend/simd-kernels.ts';
import { initWasmBackend } from '../src/backend/wasm-kernels.ts';
import { UserError } from '../src/errors.ts';
import { createRng } from '../src/util/rng.ts';

// The native gemm (native/kernels.cc) against the wasm baseline build's gemm, bit for bit, on the
// same heap: every epilogue, transposed and plain A, sums continued over several calls, sizes
// that leave rows (m mod 4) and columns (n mod 8, n mod 16) over and cross the cache blocks
// (more than 256 terms, more than 64 rows), with 512-bit panels (32 columns, 8 rows) and without, and the values whose bits an epilogue could get
// wrong: sums of −0 (a −0 bias), NaN, infinities.
const ROOT = path.resolve(import.meta.dirname, '..');
const loaded = loadNativeAddon(NATIVE_ADDON_PATH);
const SIZES: [number, number, number][] = [[13, 19, 23], [8, 16, 5], [4, 8, 1], [1, 1, 7], [37, 29, 53], [6, 9, 40], [70, 40, 530], [9, 17, 257], [5, 24, 0], [66, 33, 300], [17, 75, 31], [16, 64, 9]];

/** The C++ compiler node-gyp would find here, or undefined. */
function cppCompiler(): string | undefined {
  return ['c++', 'g++', 'clang++'].find((name) => spawnSync(name, ['--version']).status === 0);
}

let kernels: SimdKernels;
let wasm: KernelExports;
let native: NativeKernelFunctions;
before(async () => {
  tf.enableProdMode();
  await initWasmBackend();
  const backend = tf.backend() as BackendWasm;
  kernels = simdKernelsFor(backend)!;
  wasm = instantiateKernels(backend, 'baseline')!;
  if (loaded.addon) {
    const memory = (backend.wasm as unknown as { asm: { memory: WebAssembly.Memory } }).asm.memory;
    native = nativeKernelsOn(loaded.addon, memory);
  }
});
after(async () => {
  await tf.setBackend('wasm');
});

test('where a C++ compiler is, `npm install` built the native addon and it is newer than its source', (t) => {
  const compiler = cppCompiler();
  if (compiler === undefined) return t.skip('no C++ compiler here: the wasm products run');
  assert.ok(fs.existsSync(NATIVE_ADDON_PATH), `${compiler} is here but ${path.relative(ROOT, NATIVE_ADDON_PATH)} is not: see native/build-failed.log`);
  const built = fs.statSync(NATIVE_ADDON_PATH).mtimeMs;
  for (const source of ['native/kernels.cc', 'native/binding.gyp']) {
    assert.ok(fs.statSync(path.join(ROOT, source)).mtimeMs < built, `${source} is newer than the addon: run \`npm run build\``);
  }
  if (process.arch === 'x64') assert.ok(loaded.why === '' || loaded.why === 'this CPU has neither AVX2 nor AVX-512', `the addon does not load: ${loaded.why}`);
});

test('where the addon cannot be compiled, the build says so in one line, keeps the compiler\'s output, and goes on (the wasm kernels run)', (t) => {
  const compiler = cppCompiler();
  if (compiler === undefined) return t.skip('no C++ compiler here');
  // A copy of the build script and the addon's sources, with a line the compiler refuses.
  const project = fs.mkdtempSync(path.join(os.tmpdir(), 'semisup-native-'));
  try {
    fs.mkdirSync(path.join(project, 'scripts'));
    fs.copyFileSync(path.join(ROOT, 'scripts', 'build.mjs'), path.join(project, 'scripts', 'build.mjs'));
    fs.cpSync(path.join(ROOT, 'native'), path.join(project, 'native'), { recursive: true, filter: (from) => !from.includes(`${path.sep}build`) });
    fs.appendFileSync(path.join(project, 'native', 'kernels.cc'), '\nthis is not C++;\n');
    const run = spawnSync(process.execPath, ['--input-type=module', '-e', "(await import('./scripts/build.mjs')).buildNativeAddon()"], { cwd: project, encoding: 'utf8' });
    assert.equal(run.status, 0, run.stderr);
    assert.equal(run.stderr, 'note: the native kernels were not built (node-gyp failed; its output is in native/build-failed.log); training uses the wasm ones: the same results, slower.\n');
    assert.match(fs.readFileSync(path.join(project, 'native', 'build-failed.log'), 'utf8'), /this is not C\+\+/);
    assert.equal(loadNativeAddon(path.join(project, 'native', 'build', 'Release', 'semisup_kernels.node')).addon, null);
  } finally {
    fs.rmSync(project, { recursive: true, force: true });
  }
});

const rng = createRng(5);
const values = (n: number, zeros = 0): Float32Array => Float32Array.from({ length: n }, () => (rng.next() < zeros ? 0 : rng.next() * 2 - 1));

/** C from `gemm` on heap copies of the operands (C starting as `start`, for the accumulated sums), as bits. */
function product(gemm: (...args: GemmArguments) => void, a: Float32Array, aTransposed: boolean, b: Float32Array, start: Float32Array, m: number, n: number, k: number, bias: Float32Array | null, flags: number, mask: Float32Array): number[] {
  const tensors = [a, b, start, bias ?? new Float32Array(1), mask].map((v) => tf.tensor1d(v.length ? v : new Float32Array(1)));
  const [ta, tb, tc, tbias, tmask] = tensors;
  const [aRow, aCol] = aTransposed ? [1, m] : [k, 1];
  gemm(kernels.heapOffset(ta), aRow, aCol, kernels.heapOffset(tb), n, kernels.heapOffset(tc), m, n, k, bias ? kernels.heapOffset(tbias) : 0, flags, kernels.heapOffset(tmask));
  const out = Array.from(new Uint32Array((tc.dataSync() as Float32Array).slice(0, m * n).buffer));
  tf.dispose(tensors);
  return out;
}

/** The instruction sets this CPU has, best first ('AVX-512' runs the 512-bit panels, then the 256-bit ones on the columns left). */
function instructionSets(addon: NativeAddon): string[] {
  return addon.instructionSet() === 'AVX-512' ? ['AVX-512', 'AVX2'] : [addon.instructionSet()];
}

test('the native gemm gives the wasm gemm\'s bits with each instruction set: every epilogue, both layouts of A, continued sums, leftover rows and columns, −0, NaN and infinities', (t) => {
  if (!loaded.addon) return t.skip(`the native addon cannot run here: ${loaded.why}`);
  withEachInstructionSet(loaded.addon, compareWithWasm);
  assert.throws(() => loaded.addon!.useInstructionSet('SSE9'), /no such instruction set/);
});

function compareWithWasm(set: string): void {
  const flagSets = [0, GEMM_RELU, GEMM_BIAS_AFTER, GEMM_BIAS_AFTER | GEMM_RELU, GEMM_MASK_POSITIVE, GEMM_ACCUMULATE, GEMM_ACCUMULATE | GEMM_RELU | GEMM_MASK_POSITIVE];
  let compared = 0;
  for (const [m, n, k] of SIZES) {
    for (const aTransposed of [false, true]) {
      for (const flags of flagSets) {
        for (const special of [false, true]) {
          const a = values(m * k, 0.3);
          const b = values(k * n);
          const bias = flags & GEMM_BIAS_AFTER || !special ? values(n) : values(n).map((v, j) => (j % 3 === 0 ? -0 : v));
          const mask = values(m * n);
          const start = values(m * n);
          if (special) {
            // A zero row of A with a −0 bias sums to −0; NaN and ±∞ travel through every epilogue.
            for (let p = 0; p < k; p++) a[aTransposed ? p * m : p] = 0;
            if (k > 0) a[aTransposed ? (m - 1) + (k - 1) * m : (m - 1) * k + k - 1] = Number.NaN;
            if (k > 1 && m > 1) a[aTransposed ? 1 : k] = Number.POSITIVE_INFINITY;
            start[0] = -0;
          }
          const expected = product((...args) => wasm.gemm(...args), a, aTransposed, b, start, m, n, k, bias, flags, mask);
          const actual = product(native.gemm, a, aTransposed, b, start, m, n, k, bias, flags, mask);
          assert.deepEqual(actual, expected, `${set}: m=${m} n=${n} k=${k} transposed=${aTransposed} flags=${flags} special=${special}`);
          compared++;
        }
      }
    }
  }
  assert.equal(compared, SIZES.length * 2 * flagSets.length * 2);
}

/** Each instruction set this CPU has in turn, the best again afterwards. */
function withEachInstructionSet(addon: NativeAddon, check: (set: string) => void): void {
  try {
    for (const set of instructionSets(addon)) {
      assert.equal(addon.useInstructionSet(set), set);
      check(set);
    }
  } finally {
    addon.useInstructionSet('');
  }
}

test('the native sparse product gives the wasm gemmSparseA\'s bits with each instruction set: mostly-zero A in both layouts, every epilogue, −0 and NaN', (t) => {
  if (!loaded.addon) return t.skip(`the native addon cannot run here: ${loaded.why}`);
  // Widths that leave 64-, 32-, 16-, 8- and 4-column panels and single columns over.
  const sizes: [number, number, number][] = [[13, 19, 23], [4, 8, 1], [1, 1, 7], [37, 131, 53], [6, 9, 40], [33, 512, 60], [5, 24, 0], [20, 86, 30]];
  withEachInstructionSet(loaded.addon, (set) => {
    for (const [m, n, k] of sizes) {
      for (const aTransposed of [false, true]) {
        for (const flags of [0, GEMM_RELU, GEMM_BIAS_AFTER | GEMM_RELU, GEMM_MASK_POSITIVE, GEMM_RELU | GEMM_MASK_POSITIVE]) {
          for (const special of [false, true]) {
            const a = values(m * k, 0.8);
            const b = values(k * n);
            const bias = values(n);
            const mask = values(m * n);
            if (special) {
              // A row of zeros (its sums are the bias), −0 among the zeros, NaN and ∞ in A.
              for (let p = 0; p < k; p++) a[aTransposed ? p * m : p] = p % 2 ? -0 : 0;
              if (k > 0 && m > 1) a[aTransposed ? 1 + (k - 1) * m : k + k - 1] = Number.NaN;
              if (k > 1 && m > 2) a[aTransposed ? 2 : 2 * k] = Number.NEGATIVE_INFINITY;
            }
            const lists = new Float32Array(Math.max(m * (2 * k + 1), 1));
            const run = (gemm: (...args: [...GemmArguments, number]) => void) => {
              const listTensor = tf.tensor1d(lists);
              const out = product((...args) => gemm(...args, kernels.heapOffset(listTensor)), a, aTransposed, b, new Float32Array(m * n), m, n, k, bias, flags, mask);
              listTensor.dispose();
              return out;
            };
            assert.deepEqual(run((...args) => native.gemmSparseA(...args)), run((...args) => wasm.gemmSparseA(...args)), `${set}: m=${m} n=${n} k=${k} transposed=${aTransposed} flags=${flags} special=${special}`);
          }
        }
      }
    }
  });
});

test('the native Adam gives the wasm adam\'s bits with each instruction set (in place and not, zero moments, lengths off the vector width); the native transpose moves every value as the wasm one does', (t) => {
  if (!loaded.addon) return t.skip(`the native addon cannot run here: ${loaded.why}`);
  const hyper = [0.00123456789, 1.23456789, 0.9, 0.999, 1e-7] as const;
  withEachInstructionSet(loaded.addon, (set) => {
    for (const n of [1, 3, 4, 5, 7, 11, 15, 17, 19, 23, 33, 100, 1023, 1031]) {
      for (const inPlace of [true, false, true, false]) {
        const start = [values(n), values(n), values(n).map(Math.abs), values(n)];
        // Four weights with no gradient and no moments yet (the wasm kernel skips such a group of four).
        if (n >= 8) for (let i = 4; i < 8; i++) start[1][i] = start[2][i] = start[3][i] = 0;
        const run = (adam: NativeKernelFunctions['adam']) => {
          const [w, g, v, m] = start.map((x) => tf.tensor1d(x));
          const out = inPlace ? w : tf.zeros([n]);
          adam(kernels.heapOffset(w), kernels.heapOffset(g), kernels.heapOffset(m), kernels.heapOffset(v), kernels.heapOffset(out), n, ...hyper);
          const bits = [out, m, v].map((x) => Array.from(new Uint32Array((x.dataSync() as Float32Array).slice().buffer)));
          tf.dispose([w, g, v, m, out]);
          return bits;
        };
        assert.deepEqual(run(native.adam), run((...args) => wasm.adam(...args)), `${set}: n=${n} inPlace=${inPlace}`);
      }
    }
  });
  for (const [rows, cols] of [[1, 1], [3, 5], [33, 70], [784, 512]]) {
    const src = tf.tensor1d(values(rows * cols));
    const [a, b] = [tf.zeros([rows * cols]), tf.zeros([rows * cols])];
    native.transpose(kernels.heapOffset(src), kernels.heapOffset(a), rows, cols);
    wasm.transpose(kernels.heapOffset(src), kernels.heapOffset(b), rows, cols);
    assert.deepEqual(Array.from(a.dataSync()), Array.from(b.dataSync()), `${rows}×${cols}`);
    tf.dispose([src, a, b]);
  }
});

test('the native loss of the autoencoder (AVX-512) gives the wasm sigmoidCrossEntropy\'s sum and gradient bits: every length around the vector width and the 1,024-value blocks, ±0, large and non-finite logits', (t) => {
  if (!loaded.addon) return t.skip(`the native addon cannot run here: ${loaded.why}`);
  if (native.sigmoidCrossEntropy === undefined) return t.skip('the native loss needs AVX-512; the wasm one runs');
  // The last length's logits include ±∞ (its sum is not finite); every other sum is finite, so it shows the order of its additions.
  for (const n of [1, 3, 4, 5, 15, 16, 17, 20, 28, 1023, 1024, 1025, 1036, 1040, 2100, 5003, 40]) {
    const z = values(n).map((v, i) => (i % 97 === 5 ? -0 : i % 89 === 7 ? 0 : i % 83 === 11 ? 120 * Math.sign(v) : v * 12));
    if (n === 40) [z[30], z[33]] = [Number.NEGATIVE_INFINITY, Number.POSITIVE_INFINITY];
    const y = values(n).map(Math.abs).map((v, i) => (i % 3 === 0 ? 0 : v));
    const run = (loss: (...args: [number, number, number, number, number]) => number) => {
      const [tz, ty, grad] = [tf.tensor1d(z), tf.tensor1d(y), tf.zeros([n])];
      const total = loss(kernels.heapOffset(tz), kernels.heapOffset(ty), kernels.heapOffset(grad), n, 1 / n);
      const bits = Array.from(new Uint32Array((grad.dataSync() as Float32Array).slice().buffer));
      tf.dispose([tz, ty, grad]);
      return { total, bits };
    };
    const expected = run((...args) => wasm.sigmoidCrossEntropy(...args));
    assert.equal(Number.isFinite(expected.total), n !== 40, `n=${n}: the loss is finite unless a logit is not`);
    assert.deepEqual(run(native.sigmoidCrossEntropy), expected, `n=${n}`);
  }
});

test('an operand outside the heap is an error from the native gemm, and nothing is written', (t) => {
  if (!loaded.addon) return t.skip(`the native addon cannot run here: ${loaded.why}`);
  const heapBytes = kernels.heapBytes().length;
  const c = tf.zeros([16]);
  const at = kernels.heapOffset(c);
  // C's last row would end one float past the heap's end.
  assert.throws(() => native.gemm(at, 4, 1, at, 4, heapBytes - 4 * 4 * 4 + 4, 4, 4, 4, 0, 0, 0), /gemm: an operand lies outside the heap/);
  assert.throws(() => native.gemm(heapBytes, 1, 1, at, 1, at, 1, 1, 1, 0, 0, 0), /outside the heap/);
  assert.throws(() => native.gemm(at + 2, 1, 1, at, 1, at, 1, 1, 1, 0, 0, 0), /outside the heap/, 'an offset that is not a float\'s');
  assert.throws(() => (loaded.addon as NativeAddon).gemm(...([at, 1, 1] as unknown as GemmArguments)), /expected 12 arguments/);
  assert.deepEqual(Array.from(c.dataSync()), new Array(16).fill(0));
  c.dispose();
});

test(`the native products run where built, unless SEMISUP_NATIVE_KERNELS=off or the fused multiply-add build runs; =on makes their absence an error`, () => {
  const addon = { instructionSet: () => 'AVX-512' } as NativeAddon;
  const built = () => ({ addon, why: '' });
  const missing = () => ({ addon: null, why: 'not built: `npm install` or `npm run build` builds it where a C++ compiler is' });
  const never = () => assert.fail('the addon is not loaded when it will not run');
  assert.deepEqual(chooseNativeKernels('', false, built), { addon, label: 'native AVX-512' });
  assert.deepEqual(chooseNativeKernels('auto', false, built), { addon, label: 'native AVX-512' });
  assert.deepEqual(chooseNativeKernels('on', false, built), { addon, label: 'native AVX-512' });
  assert.deepEqual(chooseNativeKernels('', false, missing), { addon: null, label: 'wasm SIMD (native not built: `npm install` or `npm run build` builds it where a C++ compiler is)' });
  assert.deepEqual(chooseNativeKernels('off', false, never), { addon: null, label: 'wasm SIMD (SEMISUP_NATIVE_KERNELS=off)' });
  assert.deepEqual(chooseNativeKernels('', true, never), { addon: null, label: 'wasm SIMD with fused multiply-add' });
  const userError = (pattern: RegExp) => (error: Error) => error instanceof UserError && pattern.test(error.message);
  assert.throws(() => chooseNativeKernels('on', false, missing), userError(/SEMISUP_NATIVE_KERNELS=on, but the native kernels cannot run \(not built: .*\); unset it/));
  assert.throws(() => chooseNativeKernels('on', true, never), userError(/does not go with SEMISUP_WASM_SIMD=relaxed/));
  assert.throws(() => chooseNativeKernels('yes', false, never), userError(/SEMISUP_NATIVE_KERNELS=yes: use auto .*, off, or on/));
  assert.deepEqual(loadNativeAddon(path.join(ROOT, 'native', 'no-such.node')), { addon: null, why: 'not built: `npm install` or `npm run build` builds it where a C++ compiler is' });
});

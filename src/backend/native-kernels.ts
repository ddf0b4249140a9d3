/**
 * semisup's native kernels (native/kernels.cc): the wasm kernels' matrix products, sparse product,
 * Adam, transposes and (AVX-512 only) the autoencoder's loss, with the same bits, on 512-bit
 * (AVX-512) or 256-bit (AVX2) vectors instead of WebAssembly's 128-bit ones.
 *
 * WebAssembly SIMD is 128 bits wide, so the wasm kernels get a quarter or a half of what a core with
 * 512- or 256-bit vector units can do, and training spends most of its time in matrix products.
 * `npm install` compiles the addon with node-gyp where a C++ compiler is (scripts/build.mjs, which
 * names its path too); where it is not, where the CPU has neither vector set, or where the relaxed
 * (fused multiply-add) kernel build runs, the wasm kernels do the work: the same results, slower.
 * SEMISUP_NATIVE_KERNELS=off turns it off; =on makes its absence an error.
 */
import fs from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { UserError } from '../errors.ts';
import { PROJECT_ROOT } from '../util/source-files.ts';

/** The environment variable that chooses: unset or 'auto' (where built), 'off', or 'on' (required). */
export const NATIVE_KERNELS_ENV = 'SEMISUP_NATIVE_KERNELS';

/** Where node-gyp puts the addon (native/binding.gyp's target). */
export const NATIVE_ADDON_PATH = path.join(PROJECT_ROOT, 'native', 'build', 'Release', 'semisup_kernels.node');

/** gemm's arguments as the wasm kernel takes them: byte offsets into the heap, strides in floats. */
export type GemmArguments = [a: number, aRow: number, aCol: number, b: number, ldb: number, c: number, m: number, n: number, k: number, bias: number, flags: number, mask: number];
/** gemmSparseA's: gemm's and the wasm kernel's scratch for its lists (the addon keeps its own). */
export type SparseGemmArguments = [...GemmArguments, lists: number];
export type AdamArguments = [w: number, g: number, m: number, v: number, out: number, n: number, stepSize: number, secondScale: number, beta1: number, beta2: number, epsilon: number];
export type TransposeArguments = [src: number, dst: number, rows: number, cols: number];
export type CrossEntropyArguments = [z: number, y: number, grad: number, n: number, gradScale: number];

/** The wasm kernels the addon replaces, with the same arguments and the same bits. */
export interface NativeKernelFunctions {
  gemm(...args: GemmArguments): void;
  gemmSparseA(...args: SparseGemmArguments): void;
  adam(...args: AdamArguments): void;
  transpose(...args: TransposeArguments): void;
  /** AVX-512 only (elsewhere the wasm kernel's); returns the summed loss. */
  sigmoidCrossEntropy?(...args: CrossEntropyArguments): number;
}

/** The addon's exports (native/kernels.cc): the kernels, each throwing when an operand lies outside the heap, and its set-up. */
export interface NativeAddon extends NativeKernelFunctions {
  /** The vectors the products run on: 'AVX-512' or 'AVX2', the best this CPU has; '' where it has neither. */
  instructionSet(): string;
  /** Run on a lesser instruction set than the best ('AVX2' on an AVX-512 CPU), or the best again (''), for tests and benchmarks; returns the one in use. */
  useInstructionSet(name: string): string;
  /** The heap every later offset points into; again whenever the memory grows (its old buffer is then detached). */
  setHeap(heap: ArrayBuffer): void;
}

export interface NativeKernelsState {
  addon: NativeAddon | null;
  /** What runs the matrix products and, when it is not the addon, why: for the log and the report. */
  label: string;
}

/** The addon at `file` where it loads and this CPU runs it, else null with the reason. */
export function loadNativeAddon(file: string): { addon: NativeAddon | null; why: string } {
  if (!fs.existsSync(file)) return { addon: null, why: 'not built: `npm install` or `npm run build` builds it where a C++ compiler is' };
  try {
    const addon = createRequire(import.meta.url)(file) as NativeAddon;
    return addon.instructionSet() !== '' ? { addon, why: '' } : { addon: null, why: 'this CPU has neither AVX2 nor AVX-512' };
  } catch (error) {
    return { addon: null, why: `it did not load: ${(error instanceof Error ? error.message : String(error)).split('\n')[0]}` };
  }
}

/**
 * Whether the native kernels run, from SEMISUP_NATIVE_KERNELS's value `asked` and whether
 * the wasm kernels' fused multiply-add build runs (the addon sums as the baseline build does).
 */
export function chooseNativeKernels(asked: string, relaxedBuild: boolean, load: () => { addon: NativeAddon | null; why: string }): NativeKernelsState {
  if (asked !== '' && asked !== 'auto' && asked !== 'off' && asked !== 'on') {
    throw new UserError(`${NATIVE_KERNELS_ENV}=${asked}: use auto (the default: the native kernels where they were built), off, or on (an error where they cannot run).`);
  }
  const wasm = 'wasm SIMD';
  if (asked === 'off') return { addon: null, label: `${wasm} (${NATIVE_KERNELS_ENV}=off)` };
  if (relaxedBuild) {
    if (asked === 'on') throw new UserError(`${NATIVE_KERNELS_ENV}=on does not go with SEMISUP_WASM_SIMD=relaxed: the native kernels sum as the baseline build does; drop one of the two.`);
    return { addon: null, label: `${wasm} with fused multiply-add` };
  }
  const { addon, why } = load();
  if (addon) return { addon, label: `native ${addon.instructionSet()}` };
  if (asked === 'on') throw new UserError(`${NATIVE_KERNELS_ENV}=on, but the native kernels cannot run (${why}); unset it to use the wasm ones.`);
  return { addon: null, label: `${wasm} (native ${why})` };
}

let chosen: NativeKernelsState | undefined;

/** This process's choice (made once, on first use). */
export function nativeKernels(relaxedBuild: boolean): NativeKernelsState {
  chosen ??= chooseNativeKernels(process.env[NATIVE_KERNELS_ENV] ?? '', relaxedBuild, () => loadNativeAddon(NATIVE_ADDON_PATH));
  return chosen;
}

/**
 * The addon's kernels on `memory` (the autoencoder's loss only on AVX-512, the set it is written
 * for): before each call the heap is handed over again if the memory has grown, which replaces its
 * buffer, so the addon never writes through a stale pointer.
 */
export function nativeKernelsOn(addon: NativeAddon, memory: WebAssembly.Memory): NativeKernelFunctions {
  let heap: ArrayBuffer | null = null;
  const current = (): void => {
    if (memory.buffer !== heap) {
      heap = memory.buffer;
      addon.setHeap(heap);
    }
  };
  return {
    gemm: (...args) => { current(); addon.gemm(...args); },
    gemmSparseA: (...args) => { current(); addon.gemmSparseA(...args); },
    adam: (...args) => { current(); addon.adam(...args); },
    transpose: (...args) => { current(); addon.transpose(...args); },
    ...(addon.instructionSet() === 'AVX-512' ? { sigmoidCrossEntropy: (...args: CrossEntropyArguments) => { current(); return addon.sigmoidCrossEntropy!(...args); } } : {}),
  };
}

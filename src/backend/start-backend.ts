/**
 * Choose and start the tfjs backend, and say which one runs.
 * Preference: native TensorFlow (tfjs-node) → WebAssembly → plain JavaScript.
 * tfjs itself is loaded only when a backend starts, so commands that train
 * nothing (--help, a fully cached rerun) never load it.
 */
import { createRequire } from 'node:module';
import type * as TF from '#tfjs';
import type { BackendChoice } from '../config.ts';
import { UserError } from '../errors.ts';
import { kernelBuild } from './kernel-build.ts';
import { nativeKernels } from './native-kernels.ts';
import { wasmKernelsVersion } from './wasm-kernels-version.ts';

/** tfjs's own names for the backends, by the CLI's names. */
const TFJS_NAME: Record<Exclude<BackendChoice, 'auto'>, string> = { native: 'tensorflow', wasm: 'wasm', cpu: 'cpu' };

/** The CLI's name of a started backend, so worker processes start exactly the backend the main process reported. */
export function backendChoiceOf(tfjsName: string): BackendChoice {
  const found = (Object.keys(TFJS_NAME) as Exclude<BackendChoice, 'auto'>[]).find((choice) => TFJS_NAME[choice] === tfjsName);
  if (!found) throw new Error(`unknown tfjs backend "${tfjsName}"`);
  return found;
}

export interface StartedBackend {
  /** tfjs's name of the backend in use: 'tensorflow', 'wasm' or 'cpu'. */
  name: string;
  /** Why the preferred backends were passed over, for the log and the report. */
  skipped: string[];
}

/**
 * The native package is installed under the alias `tfjs-node-native` so that
 * npm treats it as optional; importing `@tensorflow/tfjs-node` would resolve to
 * plain tfjs through danfojs's override. Loading it registers 'tensorflow'.
 */
async function registerNative(tf: typeof TF): Promise<void> {
  // With require(), as #tfjs loads tfjs: an ES import would have Node scan tfjs-node and all of tfjs
  // (which it re-exports) for export names first, about 0.25 s.
  createRequire(import.meta.url)('tfjs-node-native');
  if (!tf.findBackend('tensorflow')) throw new Error('tfjs-node-native loaded but registered no "tensorflow" backend');
}

/**
 * The wasm backend plus our kernel overrides: the stock backend cannot train conv models (no
 * Conv2DBackpropFilter) and is slow on transposed matmuls (see wasm-kernels.ts). Loaded lazily so
 * --backend cpu never loads wasm.
 */
async function registerWasm(): Promise<void> {
  const { registerWasmKernelOverrides, wasmBinaryDir } = await import('./wasm-kernels.ts');
  const { setWasmPaths } = await import('@tensorflow/tfjs-backend-wasm');
  setWasmPaths(`${wasmBinaryDir()}/`);
  registerWasmKernelOverrides();
}

async function tryBackend(tf: typeof TF, choice: Exclude<BackendChoice, 'auto'>): Promise<void> {
  if (choice === 'native') await registerNative(tf);
  if (choice === 'wasm') await registerWasm();
  const ok = await tf.setBackend(TFJS_NAME[choice]);
  if (!ok || tf.getBackend() !== TFJS_NAME[choice]) throw new Error(`tfjs could not initialise the ${TFJS_NAME[choice]} backend`);
  await tf.ready();
}

function reason(error: unknown): string {
  // The usual case on machines where libtensorflow could not be downloaded at install time.
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  if (code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND') return 'not installed';
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}

/**
 * Start the requested backend ('auto' tries native, wasm, cpu in turn).
 * A specific backend that cannot load is a UserError naming what to do.
 */
export async function startBackend(choice: BackendChoice): Promise<StartedBackend> {
  const tf = await import('#tfjs');
  tf.enableProdMode();
  // A bad SEMISUP_WASM_SIMD is bad input: said now, before any work, not passed over as a backend that failed.
  kernelBuild();
  if (tf.getBackend() && choice !== 'auto' && tf.getBackend() === TFJS_NAME[choice]) return { name: tf.getBackend(), skipped: [] };
  if (choice !== 'auto') {
    try {
      await tryBackend(tf, choice);
    } catch (error) {
      const fix = choice === 'native'
        ? 'install it with `npm install` on a machine that can download libtensorflow, or use --backend auto'
        : 'use --backend auto';
      throw new UserError(`--backend ${choice} cannot load (${reason(error)}): ${fix}.`);
    }
    return { name: tf.getBackend(), skipped: [] };
  }
  const skipped: string[] = [];
  for (const candidate of ['native', 'wasm', 'cpu'] as const) {
    try {
      await tryBackend(tf, candidate);
      return { name: tf.getBackend(), skipped };
    } catch (error) {
      skipped.push(`${candidate}: ${reason(error)}`);
    }
  }
  throw new Error(`no tfjs backend could start: ${skipped.join('; ')}`);
}

/** Whether a package can be found (not whether it loads). */
function installed(name: string): boolean {
  try {
    createRequire(import.meta.url).resolve(`${name}/package.json`);
    return true;
  } catch {
    return false;
  }
}

/**
 * tfjs's name of the backend startBackend(choice) starts, where that is known without loading
 * tfjs: a named backend that is installed, or 'auto' where the native package is not (then wasm). A run
 * plans with it, and starts the backend only when a job must run; undefined: start it to know.
 */
export function expectedBackend(choice: BackendChoice): string | undefined {
  const native = installed('tfjs-node-native');
  if (choice === 'native') return native ? TFJS_NAME.native : undefined;
  if (choice !== 'auto') return TFJS_NAME[choice];
  return native ? undefined : TFJS_NAME.wasm;
}

/** Installed versions of the packages that shape the numbers, for params.json. */
export function packageVersions(): Record<string, string> {
  const require = createRequire(import.meta.url);
  const versions: Record<string, string> = {};
  for (const name of ['@tensorflow/tfjs', '@tensorflow/tfjs-backend-wasm', 'tfjs-node-native', 'danfojs-node', 'mnist']) {
    try {
      versions[name] = (require(`${name}/package.json`) as { version: string }).version;
    } catch {
      // Not installed (the native package is optional); absence is itself recorded by omission.
    }
  }
  return versions;
}

/**
 * What runs a backend's matrix products, where semisup's kernels do (on wasm): the native addon or the
 * wasm kernels, and why not the addon (native-kernels.ts). Not part of the engine id: both give the same bits.
 */
export function matrixProductsOf(backend: string): string | undefined {
  return backend === 'wasm' ? nativeKernels(kernelBuild() === 'relaxed').label : undefined;
}

/**
 * What, besides the config, decides a backend's numbers: its name, the tfjs version and, on wasm, the
 * content hash of our kernel overrides (wasm-kernels-version.ts) and which build of them runs (fused
 * multiply-add or not; see kernel-build.ts). Part of every cache key, so upgrading either recomputes results.
 */
export function engineId(backend: string): string {
  const versions = packageVersions();
  const kernels = backend === 'wasm' ? `/kernels-${wasmKernelsVersion()}${kernelBuild() === 'relaxed' ? '-fma' : ''}` : '';
  return `${backend}/tfjs-${versions['@tensorflow/tfjs'] ?? '?'}${kernels}`;
}

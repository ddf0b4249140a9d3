/**
 * The version of what semisup runs on the wasm backend in place of tfjs's own code: the kernel
 * overrides (wasm-kernels.ts), our SIMD kernels (simd-kernels.ts, the compiled assembly/*.wasm
 * and kernel-build.ts, which picks one), the fused Adam (src/train/adam.ts), the fused autoencoder
 * loss (src/train/sigmoid-logits.ts) and the fused dense training step (src/train/fused-dense-step.ts
 * and the modules it runs). It is a hash of those files' contents, part of every cache key on
 * wasm, so a change to any of them recomputes results instead of reusing ones the old code made;
 * test/engine-id.test.ts checks the list holds every module that runs our kernels.
 * Kept apart from the kernels themselves so that reading it does not load the wasm backend.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { sourceFileOf } from '../util/source-files.ts';

/** The files that decide what our wasm code computes, relative to this folder (modules in this file's own extension). */
export const WASM_ENGINE_SOURCES = [
  'assembly/kernels.wasm', 'assembly/kernels-relaxed.wasm', 'kernel-build', 'wasm-kernels', 'simd-kernels',
  '../train/adam', '../train/sigmoid-logits', '../train/fused-dense-step', '../train/dense-chain', '../train/categorical-crossentropy', '../train/batches',
];

/** 12 hex characters of SHA-256 over the files' names and contents. */
export function contentVersion(files: readonly string[]): string {
  const hash = createHash('sha256');
  for (const file of files) hash.update(path.basename(file)).update(readFileSync(file));
  return hash.digest('hex').slice(0, 12);
}

let version: string | undefined;

/** The content version of WASM_ENGINE_SOURCES. */
export function wasmKernelsVersion(): string {
  if (version === undefined) {
    // The TypeScript sources, also when their compiled copy runs: the same keys either way.
    const here = sourceFileOf(import.meta.url);
    const extension = path.extname(here);
    version = contentVersion(WASM_ENGINE_SOURCES.map((source) => path.resolve(path.dirname(here), path.extname(source) ? source : `${source}${extension}`)));
  }
  return version;
}

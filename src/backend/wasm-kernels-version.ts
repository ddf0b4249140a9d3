/**
 * Version of what semisup runs on the wasm backend in place of tfjs's own code: the kernel
 * overrides (wasm-kernels.ts), our SIMD kernels (simd-kernels.ts), the fused Adam
 * (src/train/adam.ts) and the fused autoencoder loss (src/train/sigmoid-logits.ts). Bump it
 * whenever one of them changes its results, so cached outputs computed with the old code are not
 * reused. Kept apart from the kernels themselves so that reading it does not load the wasm backend.
 */
export const WASM_KERNELS_VERSION = 3;

/**
 * Version of the wasm kernel overrides (wasm-kernels.ts). Bump it whenever an override changes its
 * results, so cached outputs computed with the old kernels are not reused. Kept apart from the
 * kernels themselves so that reading it does not load the wasm backend.
 */
export const WASM_KERNELS_VERSION = 1;

/**
 * Version of what semisup runs on the wasm backend in place of tfjs's own code: the kernel
 * overrides (wasm-kernels.ts), our SIMD kernels (simd-kernels.ts), the fused Adam
 * (src/train/adam.ts), the fused autoencoder loss (src/train/sigmoid-logits.ts) and the fused
 * dense training step (src/train/fused-dense-step.ts). Bump it whenever one of them changes its
 * results, so cached outputs computed with the old code are not reused. Kept apart from the
 * kernels themselves so that reading it does not load the wasm backend.
 * 4: convolutions became im2col/col2im and our gemm (conv models' numbers changed within float32
 *    rounding; dense models' stayed bit-identical).
 */
export const WASM_KERNELS_VERSION = 4;

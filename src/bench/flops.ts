/**
 * Floating-point work of a model, counted from its layers' shapes: the
 * numerator of "achieved GFLOP/s", which the bench compares with the
 * backend's measured matmul ceiling.
 */
import * as tf from '#tfjs';

/** Multiply-adds ×2 of one forward pass of one sample through a layer's weights (0 for layers without a matmul/conv). */
export interface LayerWork {
  name: string;
  className: string;
  forwardFlops: number;
}

/** Spatial size [H, W] of a layer's (first) input or output tensor, batch axis dropped. */
function spatial(tensor: tf.SymbolicTensor | tf.SymbolicTensor[]): [number, number] {
  const shape = (Array.isArray(tensor) ? tensor[0] : tensor).shape;
  return [shape[1] ?? 0, shape[2] ?? 0];
}

/** Forward FLOPs per sample of one Dense, Conv2D or Conv2DTranspose layer (2 × multiply-adds); other layers count 0. */
export function layerForwardFlops(layer: tf.layers.Layer): number {
  const className = layer.getClassName();
  const weights = layer.getWeights(false);
  if (weights.length === 0) return 0;
  const kernel = weights[0].shape;
  const product = kernel.reduce((p, q) => p * q, 1);
  if (className === 'Dense') return 2 * product;
  if (className === 'Conv2D') {
    const [outH, outW] = spatial(layer.output);
    return 2 * outH * outW * product;
  }
  if (className === 'Conv2DTranspose') {
    // The kernel is [kh, kw, outChannels, inChannels]; every input pixel scatters kh·kw·out·in products.
    const [inH, inW] = spatial(layer.input);
    return 2 * inH * inW * product;
  }
  return 0;
}

/** Every weighted layer of a model, nested models (an encoder inside an autoencoder) flattened, with its forward FLOPs. */
export function modelWork(model: tf.LayersModel): LayerWork[] {
  const out: LayerWork[] = [];
  for (const layer of model.layers) {
    if (layer instanceof tf.LayersModel) out.push(...modelWork(layer));
    else out.push({ name: layer.name, className: layer.getClassName(), forwardFlops: layerForwardFlops(layer) });
  }
  return out;
}

/**
 * FLOPs of one training step per sample: forward + backward ≈ 3 × forward (the backward pass
 * needs two matmuls per layer: input and weight gradients). For a dense net this is the usual
 * 6 × Σ in×out; it slightly over-counts the first layer, whose input gradient tfjs skips.
 */
export function trainingFlopsPerSample(model: tf.LayersModel): number {
  return 3 * modelWork(model).reduce((sum, w) => sum + w.forwardFlops, 0);
}

/** Forward FLOPs per sample (inference). */
export function inferenceFlopsPerSample(model: tf.LayersModel): number {
  return modelWork(model).reduce((sum, w) => sum + w.forwardFlops, 0);
}

/**
 * A model read as a plain chain of Dense layers, input to output, when that is all it is: the
 * shape the fused training step (fused-dense-step.ts) can run without tfjs's engine. The mlp
 * autoencoder (encoder and decoder nested as models) and the classifier on an mlp encoder are
 * such chains; anything else (convolutions, reshapes, shared layers, other activations) is not,
 * and keeps tfjs's own path.
 */
import * as tf from '#tfjs';

/** Activations the chain supports: ReLU or linear inside, sigmoid or softmax at the output too. */
export type ChainActivation = 'relu' | 'linear' | 'sigmoid' | 'softmax';

export interface DenseLink {
  name: string;
  /** [inputs, units] weights; bias [units] or null without one. */
  kernel: tf.Variable;
  bias: tf.Variable | null;
  activation: ChainActivation;
  inputs: number;
  units: number;
}

const INSIDE: ReadonlySet<string> = new Set(['relu', 'linear']);
const AT_OUTPUT: ReadonlySet<string> = new Set(['relu', 'linear', 'sigmoid', 'softmax']);

/** The parts of a tfjs-layers Dense layer the chain reads (not in tfjs's public types). */
interface DenseInternals {
  kernel?: tf.LayerVariable | null;
  bias?: tf.LayerVariable | null;
  activation?: { getClassName(): string } | null;
}

/** What tfjs-layers records on a symbolic tensor: the layer that made it and what that layer was called on. */
interface SymbolicLike {
  sourceLayer: tf.layers.Layer;
  inputs?: SymbolicLike | SymbolicLike[];
  outputTensorIndex?: number;
}

const single = <T>(x: T | T[] | undefined): T | null => (Array.isArray(x) ? (x.length === 1 ? x[0] : null) : x ?? null);

/**
 * Walk from `tensor` back to an input layer, collecting Dense layers (output side first) and
 * stepping into nested models; returns the tensor the walk reached an input layer at, or null
 * when something on the way is not part of a dense chain.
 */
function walk(tensor: SymbolicLike, found: tf.layers.Layer[]): SymbolicLike | null {
  let t: SymbolicLike = tensor;
  for (let depth = 0; depth < 1000; depth++) {
    const layer = t.sourceLayer;
    const className = layer.getClassName();
    if (className === 'InputLayer') return t;
    if (layer instanceof tf.LayersModel) {
      // A nested model: its own chain from its output to its input, then on from what it was called on.
      if (layer.inputs.length !== 1 || layer.outputs.length !== 1) return null;
      const inner = walk(layer.outputs[0] as unknown as SymbolicLike, found);
      if (inner == null || inner !== (layer.inputs[0] as unknown as SymbolicLike)) return null;
    } else if (className === 'Dense') {
      found.push(layer);
    } else {
      return null;
    }
    const next = single(t.inputs);
    if (next == null) return null;
    t = next;
  }
  return null;
}

/** The chain of `model`'s Dense layers from input to output, or null when the model is not such a chain. */
export function denseChainOf(model: tf.LayersModel): DenseLink[] | null {
  if (model.inputs.length !== 1 || model.outputs.length !== 1 || model.inputs[0].shape.length !== 2) return null;
  const layers: tf.layers.Layer[] = [];
  const reached = walk(model.outputs[0] as unknown as SymbolicLike, layers);
  if (reached !== (model.inputs[0] as unknown as SymbolicLike) || layers.length === 0) return null;
  layers.reverse();
  if (new Set(layers).size !== layers.length) return null; // a layer used twice shares weights: not a plain chain
  const links: DenseLink[] = [];
  let width = model.inputs[0].shape[1];
  for (const [i, layer] of layers.entries()) {
    const { kernel, bias, activation } = layer as unknown as DenseInternals;
    const name = activation?.getClassName();
    if (kernel == null || name == null || !(i === layers.length - 1 ? AT_OUTPUT : INSIDE).has(name)) return null;
    const k = kernel.read() as tf.Variable;
    const b = bias ? bias.read() as tf.Variable : null;
    if (k.dtype !== 'float32' || k.shape.length !== 2 || k.shape[0] !== width || (b != null && (b.dtype !== 'float32' || b.size !== k.shape[1]))) return null;
    links.push({ name: layer.name, kernel: k, bias: b, activation: name as ChainActivation, inputs: k.shape[0], units: k.shape[1] });
    width = k.shape[1];
  }
  return links;
}

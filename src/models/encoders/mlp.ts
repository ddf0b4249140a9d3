/**
 * mlp: ReLU hidden layers (widths hidden·2^(depth−1) … hidden) → a linear
 * code, and a mirrored decoder. The default family, and the one the
 * published permutation-invariant MNIST results are comparable with.
 */
import { denseAutoencoderSize } from './layers.ts';
import type { EncoderFamily, EncoderOptions } from './family.ts';
import { chain, dense } from './layers.ts';

/** Widths of the mlp hidden layers, input side first: depth 2, hidden 256 → [512, 256]. */
export function mlpWidths(spec: { hidden?: number; depth?: number }): number[] {
  const depth = spec.depth ?? 1;
  const hidden = spec.hidden ?? 256;
  return Array.from({ length: depth }, (_, i) => hidden * 2 ** (depth - 1 - i));
}

/** Name of the i-th hidden layer; depth 1 keeps the historic names (encoder_hidden, decoder_hidden). */
function hiddenName(side: 'encoder' | 'decoder', i: number, depth: number): string {
  return depth === 1 ? `${side}_hidden` : `${side}_hidden_${i + 1}`;
}

export const mlp: EncoderFamily = {
  name: 'mlp',
  description: 'ReLU layers, linear code',
  codeActivation: 'linear',
  settings: ({ hidden, depth }: EncoderOptions) => ({ hidden, depth }),
  encoderBody: (input, spec, seed) => {
    const widths = mlpWidths(spec);
    return chain(input, widths.map((units, i) => dense(hiddenName('encoder', i, widths.length), units, 'relu', seed)));
  },
  decoder: (z, spec, seed, output) => {
    const widths = [...mlpWidths(spec)].reverse();
    const hidden = widths.map((units, i) => dense(hiddenName('decoder', i, widths.length), units, 'relu', seed));
    return chain(z, [...hidden, dense('decoder_output', spec.features, output, seed)]);
  },
  size: (spec) => denseAutoencoderSize([spec.features, ...mlpWidths(spec), spec.latent]),
  sizeOptions: (spec) => ({ given: `--hidden ${spec.hidden ?? 256} --depth ${spec.depth ?? 1} --latent ${spec.latent}`, lower: 'lower --hidden or --depth' }),
};

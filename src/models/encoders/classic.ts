/**
 * classic: one sigmoid layer is the code, input → latent → input, as the
 * earliest autoencoders were built. A bounded code cannot be rescaled through
 * its weights, so it is kept as it is after pretraining.
 */
import type { EncoderFamily } from './family.ts';
import { dense, denseAutoencoderSize } from './layers.ts';

export const classic: EncoderFamily = {
  name: 'classic',
  description: 'one sigmoid code layer',
  codeActivation: 'sigmoid',
  settings: () => ({}),
  encoderBody: (input) => input,
  decoder: (z, spec, seed, output) => dense('decoder_output', spec.features, output, seed).apply(z) as typeof z,
  size: (spec) => denseAutoencoderSize([spec.features, spec.latent]),
  sizeOptions: (spec) => ({ given: `--encoder classic --latent ${spec.latent}`, lower: 'lower --latent' }),
};

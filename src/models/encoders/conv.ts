/**
 * conv: two stride-2 3×3 ReLU convolutions → a linear code; the decoder is a
 * dense layer to a quarter-size grid and two stride-2 transposed convolutions
 * back to the image. Images only, with sides divisible by 4. Rows stay flat
 * outside the model; it reshapes inside.
 */
import { UserError } from '../../errors.ts';
import type { AutoencoderSpec, EncoderFamily } from './family.ts';
import { chain, dense, glorot, tfjs } from './layers.ts';

/** Channels of the two convolutions. */
const CHANNELS = [32, 64];

/** The image shape the family works on; a UserError when the data are not images it can halve twice. */
export function convImageShape(spec: Pick<AutoencoderSpec, 'inputKind' | 'inputShape'>): [number, number, number] {
  const shape = spec.inputShape ?? [];
  if (spec.inputKind !== 'image' || shape.length !== 3) {
    throw new UserError(`--encoder conv needs an image dataset (this one has input shape [${shape.join(', ')}]): use --encoder mlp or classic.`);
  }
  const [h, w, c] = shape;
  if (h % 4 !== 0 || w % 4 !== 0) {
    throw new UserError(`--encoder conv needs image sides divisible by 4 (two stride-2 layers), not ${h}×${w}: use --encoder mlp.`);
  }
  return [h, w, c];
}

export const conv: EncoderFamily = {
  name: 'conv',
  description: 'CNN, images only',
  codeActivation: 'linear',
  settings: (_options, data) => {
    convImageShape(data);
    return {};
  },
  encoderBody: (input, spec, seed) => {
    const tf = tfjs();
    return chain(input, [
      tf.layers.reshape({ name: 'encoder_image', targetShape: convImageShape(spec) }),
      ...CHANNELS.map((filters, i) => {
        const name = `encoder_conv_${i + 1}`;
        return tf.layers.conv2d({ name, filters, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: glorot(seed, name) });
      }),
      tf.layers.flatten({ name: 'encoder_flatten' }),
    ]);
  },
  decoder: (z, spec, seed, output) => {
    const tf = tfjs();
    const [h, w, c] = convImageShape(spec);
    const [first, second] = CHANNELS;
    return chain(z, [
      dense('decoder_dense', (h / 4) * (w / 4) * second, 'relu', seed),
      tf.layers.reshape({ name: 'decoder_grid', targetShape: [h / 4, w / 4, second] }),
      tf.layers.conv2dTranspose({ name: 'decoder_deconv_1', filters: first, kernelSize: 3, strides: 2, padding: 'same', activation: 'relu', kernelInitializer: glorot(seed, 'decoder_deconv_1') }),
      tf.layers.conv2dTranspose({ name: 'decoder_deconv_2', filters: c, kernelSize: 3, strides: 2, padding: 'same', activation: output, kernelInitializer: glorot(seed, 'decoder_deconv_2') }),
      tf.layers.flatten({ name: 'decoder_output' }),
    ]);
  },
  size: (spec) => {
    const [h, w, c] = convImageShape(spec);
    const half = (h / 2) * (w / 2) * CHANNELS[0];
    const quarter = (h / 4) * (w / 4) * CHANNELS[1];
    const convWeights = 9 * c * CHANNELS[0] + CHANNELS[0] + 9 * CHANNELS[0] * CHANNELS[1] + CHANNELS[1];
    const weights = 2 * convWeights + (quarter * spec.latent + spec.latent) + (spec.latent * quarter + quarter);
    return { weights, activationsPerSample: 2 * (half + quarter) + spec.latent + spec.features, shape: [spec.features, half, quarter, spec.latent] };
  },
  sizeOptions: (spec) => ({ given: `--encoder conv --latent ${spec.latent}`, lower: 'lower --latent' }),
};

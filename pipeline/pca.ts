/**
 * Arm beyond the seed — pca. The classical answer to "use the unlabeled data":
 * principal components of the unlabeled pool, to the latent size, as a frozen
 * linear encoder (src/models/pca-encoder.ts), with the same head, labeled
 * subset, batch order, optimiser and epoch budget as every other arm. Like a
 * pretrained code, the projection is rescaled to a fresh encoder's spread
 * (src/models/latent-scale.ts) so the shared head initialisation and learning
 * rate suit it. Only pool images are used to fit it; labels never.
 */
import { evenlySpaced, gatherRows } from '../src/train/batches.ts';
import { deriveSeed } from '../src/util/rng.ts';
import { classifierStage } from './classifier-stage.ts';
import { runStageAlone } from './stage-alone.ts';

/** Pool samples PCA is fitted on: the top components of 10,000 digits match those of 60,000 closely, at a sixth of the memory. */
const PCA_SAMPLES = 10000;

export const pcaStage = classifierStage({
  name: 'pca',
  title: 'fit PCA on each seed\'s unlabeled pool and train the same head on the frozen projection',
  version: 2,
  encoder: async (job, _ctx, data, split) => {
    const [tf, { fitPca }, { buildEncoder }, { matchLatentScale }, { buildPcaEncoder }] = await Promise.all([
      import('#tfjs'), import('../src/eval/pca.ts'), import('../src/models/autoencoder.ts'), import('../src/models/latent-scale.ts'), import('../src/models/pca-encoder.ts'),
    ]);
    const features = job.params.model.features;
    const sample = evenlySpaced(split.pool, PCA_SAMPLES);
    const rows = gatherRows(data.x, features, sample, 0, sample.length, new Float32Array(sample.length * features));
    const encoder = buildPcaEncoder(fitPca(rows, features, job.params.model.latent, deriveSeed(job.seed, 'pca')));
    const fresh = buildEncoder(job.params.model, job.seed);
    const rowsTensor = tf.tensor2d(rows, [sample.length, features]);
    matchLatentScale(encoder, fresh, rowsTensor);
    rowsTensor.dispose();
    fresh.dispose();
    return encoder;
  },
  // The projection never trains: only the head does.
  train: async ({ classifier, encoder, fitOptions }) => {
    const { trainWithStrategy } = await import('../src/train/strategy.ts');
    return { curve: await trainWithStrategy(classifier, encoder, { kind: 'frozen' }, fitOptions) };
  },
});

runStageAlone(import.meta.url, pcaStage);

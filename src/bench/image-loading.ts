/**
 * How fast a folder of images loads (--dataset images): write N 28×28 greyscale PNGs of the
 * embedded digits into ten class folders in a temporary folder, then load them with the default
 * options through the dataset cache, cold (an empty cache: every file decoded) and warm (the
 * cache hit a second run gets: listing the folders, hashing every file, reading the cache file).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { loadEmbeddedMnist } from '../data/embedded.ts';
import { loadDatasetSource } from '../data/sources.ts';
import { median } from './stats.ts';

export interface ImageLoadTiming {
  images: number;
  coldSeconds: number;
  /** CPU seconds of the process (all its threads), so a busy machine can be told from a slow loader. */
  coldCpuSeconds: number;
  /** Median over the warm repeats. */
  warmSeconds: number;
  warmCpuSeconds: number;
  warmRepeats: number;
}

/** Write `count` digits as one-channel PNGs, `<dir>/<digit>/<n>.png`, the classes taking turns (the embedded set repeats past 10,000). */
export async function writeDigitPngs(dir: string, count: number): Promise<void> {
  const digits = loadEmbeddedMnist();
  const rowsOf = Array.from({ length: 10 }, (_, c) => Array.from(digits.y.keys()).filter((i) => digits.y[i] === c));
  for (let c = 0; c < 10; c++) fs.mkdirSync(path.join(dir, String(c)), { recursive: true });
  const writeOne = (i: number) => {
    const members = rowsOf[i % 10];
    const row = members[Math.floor(i / 10) % members.length];
    const pixels = Buffer.from(digits.x.subarray(row * 784, (row + 1) * 784));
    const file = path.join(dir, String(digits.y[row]), `${String(i).padStart(6, '0')}.png`);
    return sharp(pixels, { raw: { width: 28, height: 28, channels: 1 } }).toColourspace('b-w').png().toFile(file);
  };
  const batch = 64;
  for (let start = 0; start < count; start += batch) {
    await Promise.all(Array.from({ length: Math.min(batch, count - start) }, (_, k) => writeOne(start + k)));
  }
}

async function timed<T>(run: () => Promise<T>): Promise<{ value: T; seconds: number; cpuSeconds: number }> {
  const cpu = process.cpuUsage();
  const started = performance.now();
  const value = await run();
  const used = process.cpuUsage(cpu);
  return { value, seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

/** Time a cold load of `count` PNGs and `warmRepeats` warm ones; the temporary folders are removed after. */
export async function timeImageLoading(count: number, warmRepeats = 3, log: (line: string) => void = () => undefined): Promise<ImageLoadTiming> {
  const temp = fs.mkdtempSync(path.join(os.tmpdir(), 'semisup-bench-images-'));
  try {
    const dir = path.join(temp, 'digits');
    log(`writing ${count} PNGs`);
    await writeDigitPngs(dir, count);
    const load = () => loadDatasetSource({ kind: 'images', dir }, { dataRoot: path.join(temp, 'cache') });
    log('loading them (cold cache)');
    const cold = await timed(load);
    if (cold.value.fromCache || cold.value.dataset.y.length !== count) throw new Error(`cold image load: expected ${count} freshly decoded images`);
    const warm = [];
    for (let r = 0; r < warmRepeats; r++) {
      const run = await timed(load);
      if (!run.value.fromCache) throw new Error('warm image load missed the dataset cache');
      warm.push(run);
    }
    return {
      images: count,
      coldSeconds: cold.seconds,
      coldCpuSeconds: cold.cpuSeconds,
      warmSeconds: median(warm.map((w) => w.seconds)),
      warmCpuSeconds: median(warm.map((w) => w.cpuSeconds)),
      warmRepeats,
    };
  } finally {
    fs.rmSync(temp, { recursive: true, force: true });
  }
}

/**
 * How much memory training a configuration's models takes, checked before any
 * training: options that each pass on their own can together ask for a model
 * no machine holds (--depth 6 --hidden 8192 is 42 billion weights), which
 * would otherwise end minutes later in a RangeError from deep inside tfjs.
 */
import os from 'node:os';
import { UserError } from '../errors.ts';
import type { AutoencoderSpec } from './autoencoder.ts';
import { encoderFamily } from './encoders/index.ts';

/** The wasm backend keeps every tensor in one WebAssembly memory, which cannot grow past 4 GiB. */
const WASM_HEAP_BYTES = 4294901760;
const GB = 1e9;

export interface ModelSize {
  /** Weights of the autoencoder (encoder and decoder) plus the classifier head. */
  weights: number;
  /** Values of every layer's output for one sample, encoder and decoder together. */
  activationsPerSample: number;
  /** The layer widths input → code, for the message (mlp and classic). */
  shape: number[];
}

/** Weights and per-sample activations of the autoencoder and head a spec builds (its encoder family's own count). */
export function modelSize(spec: AutoencoderSpec & { classCount: number }): ModelSize {
  const autoencoder = encoderFamily(spec.encoder).size(spec);
  return { ...autoencoder, weights: autoencoder.weights + spec.latent * spec.classCount + spec.classCount };
}

/**
 * Bytes training needs at the largest batch: each weight four times (itself,
 * its gradient, Adam's two moments) and each activation three times (output,
 * gradient, a temporary), all float32.
 */
export function trainingBytes(size: ModelSize, largestBatch: number): number {
  return 4 * (4 * size.weights + 3 * largestBatch * size.activationsPerSample);
}

/** The memory training may use on a backend: the wasm heap's limit, or most of the machine's memory. */
export function memoryLimitBytes(backend: string): number {
  const machine = 0.8 * os.totalmem();
  return backend === 'wasm' ? Math.min(WASM_HEAP_BYTES, machine) : machine;
}

function gigabytes(bytes: number): string {
  const gb = bytes / GB;
  return gb >= 100 ? `${Math.round(gb).toLocaleString('en-US')} GB` : `${gb.toPrecision(2)} GB`;
}

/** A mini-batch size, the option that sets it, and the rows one step holds when that differs (several views). */
export interface TrainingBatch {
  option: string;
  size: number;
  rows?: number;
}

/**
 * Throw a UserError, before any training, when the configuration's models
 * cannot be trained in the memory the backend has; the message gives the size
 * they would need and the options to lower.
 */
export function checkModelFits(
  spec: AutoencoderSpec & { classCount: number },
  batches: TrainingBatch[],
  backend: string,
  limit = memoryLimitBytes(backend),
): void {
  const size = modelSize(spec);
  const rows = (b: TrainingBatch) => b.rows ?? b.size;
  const largest = batches.reduce((a, b) => (rows(b) > rows(a) ? b : a));
  const needed = trainingBytes(size, rows(largest));
  if (needed <= limit) return;
  const options = encoderFamily(spec.encoder).sizeOptions(spec);
  const architecture = options.given;
  const weightsShare = (4 * 4 * size.weights) / needed;
  const lower = weightsShare >= 0.5 ? options.lower : `lower ${largest.option} (${largest.size})`;
  const where = backend === 'wasm' ? 'the wasm backend can hold at most 4.3 GB' : `this machine has ${gigabytes(os.totalmem())}`;
  throw new UserError(
    `${architecture} make a model of ${size.weights.toLocaleString('en-US')} weights (layers ${size.shape.join('-')}); ` +
      `training it at ${largest.option} ${largest.size} needs about ${gigabytes(needed)} of memory, and ${where}: ${lower}.`,
  );
}

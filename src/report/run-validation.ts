/**
 * Shape checks for the JSON files of a run folder (run-record.ts). A report
 * built from a hand-edited or truncated file should fail with one line that
 * names the field, not with a TypeError deep inside a chart.
 */
import { ARMS, isArmName } from '../arms/index.ts';
import type { EpochLog, TrainingCurve } from '../train/curves.ts';
import type { ConfusionRecord, RunParams, RunPictures } from './run-record.ts';

/** The arm names of src/arms/ as a runtime list, for validating files. */
export const ARM_NAMES: string[] = ARMS.map((arm) => arm.name);

/** A file's content does not match its contract; `message` names the field. */
export class ShapeError extends Error {
  override name = 'ShapeError';
}

type Obj = Record<string, unknown>;

function describe(v: unknown): string {
  if (v === undefined) return 'missing';
  const s = JSON.stringify(v);
  return s === undefined ? String(v) : s.length > 40 ? `${s.slice(0, 37)}...` : s;
}

function fail(path: string, expected: string, got: unknown): never {
  throw new ShapeError(`${path} must be ${expected} (is ${describe(got)})`);
}

function obj(v: unknown, path: string): Obj {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) fail(path, 'an object', v);
  return v as Obj;
}

function arr(v: unknown, path: string): unknown[] {
  if (!Array.isArray(v)) fail(path, 'an array', v);
  return v;
}

function str(v: unknown, path: string): string {
  if (typeof v !== 'string') fail(path, 'a string', v);
  return v;
}

function num(v: unknown, path: string): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) fail(path, 'a finite number', v);
  return v;
}

/** A number where JSON may hold null for NaN (a diverged loss); null becomes NaN. */
function numOrNull(v: unknown, path: string): number {
  if (v === null) return NaN;
  return num(v, path);
}

function optNumOrNull(v: unknown, path: string): number | undefined {
  return v === undefined ? undefined : numOrNull(v, path);
}

function int(v: unknown, path: string, min = 0): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min) fail(path, `an integer ≥ ${min}`, v);
  return v;
}

function numbers(v: unknown, path: string, length?: number): number[] {
  const a = arr(v, path);
  for (let i = 0; i < a.length; i++) {
    if (typeof a[i] !== 'number' || !Number.isFinite(a[i] as number)) fail(`${path}[${i}]`, 'a finite number', a[i]);
  }
  if (length !== undefined && a.length !== length) fail(`${path}.length`, String(length), a.length);
  return a as number[];
}

function record<T>(v: unknown, path: string, item: (x: unknown, p: string) => T): Record<string, T> {
  const o = obj(v, path);
  const out: Record<string, T> = {};
  for (const [k, x] of Object.entries(o)) out[k] = item(x, `${path}.${k}`);
  return out;
}

function shapeOf(v: unknown, path: string): number[] {
  const shape = numbers(v, path);
  if (shape.length === 0 || shape.some((d) => !Number.isInteger(d) || d < 1)) fail(path, 'a list of positive integers', v);
  return shape;
}

/** Check params.json and return it typed. */
export function checkParams(v: unknown): RunParams {
  const o = obj(v, 'params');
  const env = obj(o.environment, 'environment');
  const ds = obj(o.dataset, 'dataset');
  const classNames = arr(ds.classNames, 'dataset.classNames').map((c, i) => str(c, `dataset.classNames[${i}]`));
  if (classNames.length < 2) fail('dataset.classNames', 'at least two class names', ds.classNames);
  const params: RunParams = {
    runId: str(o.runId, 'runId'),
    createdAt: str(o.createdAt, 'createdAt'),
    config: obj(o.config, 'config'),
    environment: {
      backend: str(env.backend, 'environment.backend'),
      node: str(env.node, 'environment.node'),
      platform: str(env.platform, 'environment.platform'),
      cpuModel: str(env.cpuModel, 'environment.cpuModel'),
      cores: int(env.cores, 'environment.cores', 1),
      versions: record(env.versions, 'environment.versions', str),
    },
    dataset: {
      name: str(ds.name, 'dataset.name'),
      inputShape: shapeOf(ds.inputShape, 'dataset.inputShape'),
      classNames,
      poolSize: int(ds.poolSize, 'dataset.poolSize'),
      testSize: int(ds.testSize, 'dataset.testSize'),
    },
    stageSeconds: record(o.stageSeconds, 'stageSeconds', num),
    totalSeconds: num(o.totalSeconds, 'totalSeconds'),
  };
  if (o.preset !== undefined && o.preset !== null) {
    const preset = obj(o.preset, 'preset');
    const chosenOn = str(preset.chosenOn, 'preset.chosenOn');
    if (chosenOn !== 'test' && chosenOn !== 'validation' && chosenOn !== 'none') fail('preset.chosenOn', "'test', 'validation' or 'none'", chosenOn);
    params.preset = { name: str(preset.name, 'preset.name'), chosenOn, ...(preset.stillFromTest !== undefined ? { stillFromTest: str(preset.stillFromTest, 'preset.stillFromTest') } : {}) };
  }
  if (o.selection !== undefined) params.selection = record(o.selection, 'selection', str);
  if (o.tuning !== undefined) {
    const t = obj(o.tuning, 'tuning');
    params.tuning = {
      trials: int(t.trials, 'tuning.trials', 1),
      chosen: arr(t.chosen, 'tuning.chosen').map((c, i) => {
        const p = `tuning.chosen[${i}]`;
        const e = obj(c, p);
        return {
          arm: str(e.arm, `${p}.arm`), labeled: num(e.labeled, `${p}.labeled`), trial: int(e.trial, `${p}.trial`, 1),
          settings: record(e.settings, `${p}.settings`, (v, path) => (typeof v === 'string' ? v : num(v, path))),
          valAccuracy: numOrNull(e.valAccuracy, `${p}.valAccuracy`),
          ...(e.follows !== undefined ? { follows: str(e.follows, `${p}.follows`) } : {}),
        };
      }),
    };
  }
  if (env.gitCommit !== undefined) params.environment.gitCommit = str(env.gitCommit, 'environment.gitCommit');
  if (env.matrixProducts !== undefined) params.environment.matrixProducts = str(env.matrixProducts, 'environment.matrixProducts');
  if (ds.fingerprint !== undefined) params.dataset.fingerprint = str(ds.fingerprint, 'dataset.fingerprint');
  if (ds.labeledSize !== undefined) params.dataset.labeledSize = int(ds.labeledSize, 'dataset.labeledSize');
  if (ds.unlabeledSize !== undefined) params.dataset.unlabeledSize = int(ds.unlabeledSize, 'dataset.unlabeledSize');
  if (o.exportedModel !== undefined) {
    const m = obj(o.exportedModel, 'exportedModel');
    params.exportedModel = {
      folder: str(m.folder, 'exportedModel.folder'),
      arm: str(m.arm, 'exportedModel.arm'),
      seed: int(m.seed, 'exportedModel.seed'),
      labeled: int(m.labeled, 'exportedModel.labeled', 1),
      fraction: num(m.fraction, 'exportedModel.fraction'),
      testAccuracy: num(m.testAccuracy, 'exportedModel.testAccuracy'),
    };
  }
  if (Number.isNaN(Date.parse(params.createdAt))) fail('createdAt', 'an ISO timestamp', params.createdAt);
  return params;
}

function checkEpoch(v: unknown, path: string): EpochLog {
  const o = obj(v, path);
  const log: EpochLog = { epoch: int(o.epoch, `${path}.epoch`), loss: numOrNull(o.loss, `${path}.loss`) };
  const accuracy = optNumOrNull(o.accuracy, `${path}.accuracy`);
  const valAccuracy = optNumOrNull(o.valAccuracy, `${path}.valAccuracy`);
  if (accuracy !== undefined) log.accuracy = accuracy;
  if (valAccuracy !== undefined) log.valAccuracy = valAccuracy;
  return log;
}

/** Check curves.json and return it typed. */
export function checkCurves(v: unknown): TrainingCurve[] {
  return arr(v, 'curves').map((c, i) => {
    const p = `curves[${i}]`;
    const o = obj(c, p);
    const model = o.model === 'autoencoder' || isArmName(o.model) ? o.model : fail(`${p}.model`, `'autoencoder' or one of ${ARM_NAMES.join(', ')}`, o.model);
    const curve: TrainingCurve = {
      seed: int(o.seed, `${p}.seed`),
      model,
      epochs: arr(o.epochs, `${p}.epochs`).map((e, j) => checkEpoch(e, `${p}.epochs[${j}]`)),
    };
    if (o.fraction !== undefined) curve.fraction = num(o.fraction, `${p}.fraction`);
    if (model !== 'autoencoder' && curve.fraction === undefined) fail(`${p}.fraction`, 'a number for a classifier curve', undefined);
    return curve;
  });
}

/** Check confusion.json (square matrices of counts, `classCount` wide when given) and return it typed. */
export function checkConfusions(v: unknown, classCount?: number): ConfusionRecord[] {
  return arr(v, 'confusions').map((c, i) => {
    const p = `confusions[${i}]`;
    const o = obj(c, p);
    const rows = arr(o.matrix, `${p}.matrix`);
    const k = classCount ?? rows.length;
    if (rows.length !== k) fail(`${p}.matrix`, `${k} rows (one per class)`, `${rows.length} rows`);
    const matrix = rows.map((r, t) => {
      const row = numbers(r, `${p}.matrix[${t}]`, k);
      row.forEach((x, j) => int(x, `${p}.matrix[${t}][${j}]`));
      return row;
    });
    const arm = isArmName(o.arm) ? o.arm : fail(`${p}.arm`, `one of ${ARM_NAMES.join(', ')}`, o.arm);
    return { seed: int(o.seed, `${p}.seed`), fraction: num(o.fraction, `${p}.fraction`), arm, matrix };
  });
}

/** Check pictures.json (array lengths agree with count and inputShape) and return it typed. */
export function checkPictures(v: unknown): RunPictures {
  const o = obj(v, 'pictures');
  const inputShape = shapeOf(o.inputShape, 'inputShape');
  const features = inputShape.reduce((a, b) => a * b, 1);
  const rec = obj(o.reconstruction, 'reconstruction');
  const count = int(rec.count, 'reconstruction.count');
  const lm = obj(o.latentMap, 'latentMap');
  const labels = numbers(lm.labels, 'latentMap.labels');
  labels.forEach((x, i) => int(x, `latentMap.labels[${i}]`));
  return {
    seed: int(o.seed, 'seed'),
    inputShape,
    reconstruction: {
      originals: numbers(rec.originals, 'reconstruction.originals', count * features),
      reconstructed: numbers(rec.reconstructed, 'reconstruction.reconstructed', count * features),
      count,
    },
    latentMap: {
      labels,
      latent2d: numbers(lm.latent2d, 'latentMap.latent2d', labels.length * 2),
      pixels2d: numbers(lm.pixels2d, 'latentMap.pixels2d', labels.length * 2),
      latentExplained: num(lm.latentExplained, 'latentMap.latentExplained'),
      pixelsExplained: num(lm.pixelsExplained, 'latentMap.pixelsExplained'),
    },
  };
}

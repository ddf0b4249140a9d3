/**
 * What tuning may vary and how: per setting a range (log-uniform, uniform,
 * whole numbers, or a list of choices). Every arm, the baseline included,
 * shares the settings every classifier has (learning rate, epochs); an arm
 * adds its own from its declaration. A user's JSON or YAML file replaces
 * ranges per arm. Trial 1 is always the run's own settings, so tuning can only
 * find something better on validation; the others are random draws.
 */
import fs from 'node:fs';
import { parse as parseYaml } from 'yaml';
import { CLASSIFIER_SETTINGS, ownSettingsOf, type ArmDefinition, type Range, type SearchSpace } from '../arms/arm.ts';
import { configValues, type PipelineConfig } from '../config.ts';
import { UserError } from '../errors.ts';
import { createRng, deriveSeed } from '../util/rng.ts';

export type { Range, SearchSpace };

/** The settings every classifier arm has, and their default ranges around the run's own values. */
export function commonSpace(config: PipelineConfig): SearchSpace {
  const epochs = config.finetuneEpochs;
  return {
    learningRate: { log: [config.learningRate / 3, config.learningRate * 3] },
    finetuneEpochs: { choice: [...new Set([Math.max(1, Math.round(epochs / 2)), epochs, epochs * 2])] },
  };
}

/** The search space of each arm: the common settings and the arm's own, as declared or as the user's file gives them. */
export function searchSpaces(arms: readonly ArmDefinition[], config: PipelineConfig, userFile?: string): Map<string, SearchSpace> {
  const user = userFile ? readSpaceFile(userFile) : {};
  const spaces = new Map<string, SearchSpace>();
  for (const arm of arms) {
    const own = arm.searchSpace?.(config) ?? {};
    const allowed = new Set(ownSettingsOf(arm, config));
    const given = { ...(user['*'] ?? {}), ...(user[arm.name] ?? {}) };
    for (const key of Object.keys(given)) {
      if (!allowed.has(key)) {
        throw new UserError(`${userFile}: ${arm.name} cannot be tuned on "${key}": give one of ${[...allowed].join(', ')}.`);
      }
    }
    spaces.set(arm.name, { ...commonSpace(config), ...own, ...given });
  }
  for (const name of Object.keys(user)) {
    if (name !== '*' && !arms.some((arm) => arm.name === name)) {
      throw new UserError(`${userFile}: "${name}" is not an arm of this run: use ${['*', ...arms.map((a) => a.name)].join(', ')}.`);
    }
  }
  return spaces;
}

/** A user's search-space file: { "<arm>" | "*": { "<setting>": range } }, JSON or YAML. */
function readSpaceFile(file: string): Record<string, SearchSpace> {
  let raw: unknown;
  try {
    raw = parseYaml(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    throw new UserError(`--search-space ${file} ${code === 'ENOENT' ? 'does not exist' : `is not valid JSON or YAML (${(error as Error).message.split('\n')[0]})`}: give a file like {"*": {"learningRate": {"log": [0.0003, 0.003]}}}.`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) throw new UserError(`--search-space ${file} must map arm names (or "*") to settings: e.g. {"*": {"learningRate": {"log": [0.0003, 0.003]}}}.`);
  const out: Record<string, SearchSpace> = {};
  for (const [arm, space] of Object.entries(raw)) {
    if (typeof space !== 'object' || space === null || Array.isArray(space)) throw new UserError(`${file}: "${arm}" must map settings to ranges.`);
    out[arm] = Object.fromEntries(Object.entries(space).map(([key, range]) => [key, checkRange(file, `${arm}.${key}`, range)]));
  }
  return out;
}

function checkRange(file: string, where: string, range: unknown): Range {
  const r = range as Record<string, unknown>;
  const pair = (v: unknown): v is [number, number] => Array.isArray(v) && v.length === 2 && v.every((x) => typeof x === 'number' && Number.isFinite(x)) && (v[0] as number) <= (v[1] as number);
  if (r && typeof r === 'object' && Object.keys(r).length === 1) {
    if ('log' in r && pair(r.log) && r.log[0] > 0) return { log: r.log };
    if ('uniform' in r && pair(r.uniform)) return { uniform: r.uniform };
    if ('int' in r && pair(r.int) && r.int.every(Number.isInteger)) return { int: r.int };
    if ('choice' in r && Array.isArray(r.choice) && r.choice.length > 0 && r.choice.every((x) => typeof x === 'number' || typeof x === 'string')) return { choice: r.choice as (number | string)[] };
  }
  throw new UserError(`${file}: ${where} must be one of {"log": [low, high]} (low > 0), {"uniform": [low, high]}, {"int": [low, high]} or {"choice": [...]}.`);
}

/** Three significant digits: settings that read well in tables and key caches stably. */
function tidy(x: number): number {
  return Number(x.toPrecision(3));
}

/** One draw from a range. */
function draw(range: Range, u: number): number | string {
  if ('log' in range) return tidy(range.log[0] * (range.log[1] / range.log[0]) ** u);
  if ('uniform' in range) return tidy(range.uniform[0] + (range.uniform[1] - range.uniform[0]) * u);
  if ('int' in range) return Math.min(range.int[1], range.int[0] + Math.floor(u * (range.int[1] - range.int[0] + 1)));
  return range.choice[Math.min(range.choice.length - 1, Math.floor(u * range.choice.length))];
}

/**
 * The settings of trial `trial` (1-based) of an arm: trial 1 is the run's own
 * settings; later trials draw every setting of the space from a seeded stream.
 * The settings every arm shares are drawn from one stream for all arms, so
 * trial t gives every arm the same learning rate and epochs to start from.
 */
export function trialSettings(space: SearchSpace, config: PipelineConfig, arm: string, trial: number, seed: number): Record<string, number | string> {
  const keys = Object.keys(space).sort();
  if (trial === 1) return configValues(config, keys);
  const common = createRng(deriveSeed(seed, `tune:common:${trial}`));
  const own = createRng(deriveSeed(seed, `tune:${arm}:${trial}`));
  return Object.fromEntries(keys.map((key) => [key, draw(space[key], ((CLASSIFIER_SETTINGS as readonly string[]).includes(key) ? common : own).next())]));
}

/**
 * An option's text → its value, or a one-line UserError naming the option and
 * what would work. Shared by the CLI and the dataset sources' declarations.
 */
import { UserError } from '../errors.ts';

/**
 * A number written in decimal (1, 0.5, .5, 1e-3); NaN for anything else. Number() alone also reads
 * 0x10, 0b101 and 0o7, so a typo like --labeled 0x1 would silently mean the whole pool.
 */
export function decimal(text: string): number {
  const trimmed = text.trim();
  return /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i.test(trimmed) ? Number(trimmed) : NaN;
}

export function parseNumber(name: string, text: string, range: { min: number; max: number; exclusiveMin?: boolean; exclusiveMax?: boolean }): number {
  const value = decimal(text);
  const low = range.exclusiveMin ? value <= range.min : value < range.min;
  const high = range.exclusiveMax ? value >= range.max : value > range.max;
  const bounds = `${range.exclusiveMin ? '>' : '≥'} ${range.min} and ${range.exclusiveMax ? '<' : '≤'} ${range.max}`;
  if (text.trim() === '' || !Number.isFinite(value)) throw new UserError(`--${name} "${text}" is not a number: give a number ${bounds}.`);
  if (low || high) throw new UserError(`--${name} ${text} is out of range: give a number ${bounds}.`);
  // Training computes in float32, where a number this small is 0: a learning rate of 1e-50 would train nothing.
  if (value !== 0 && Math.fround(value) === 0) throw new UserError(`--${name} ${text} is 0 in float32, which training computes in: give a number of at least 1e-38.`);
  return value;
}

export function parseInteger(name: string, text: string, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const value = decimal(text);
  if (text.trim() === '' || !Number.isInteger(value) || value < min) {
    throw new UserError(`--${name} "${text}" is not a whole number ≥ ${min}: give one like ${Math.max(min, 1) * 10}.`);
  }
  if (value > max) throw new UserError(`--${name} ${text} is too large: give at most ${max}.`);
  return value;
}

/** One of a fixed list of names. */
export function parseChoice<T extends string>(name: string, value: string, choices: readonly T[]): T {
  if (!(choices as readonly string[]).includes(value)) throw new UserError(`--${name} ${value} is unknown: use one of ${choices.join(', ')}.`);
  return value as T;
}

export function splitList(name: string, text: string): string[] {
  const items = text.split(',').map((s) => s.trim()).filter((s) => s !== '');
  if (items.length === 0) throw new UserError(`--${name} is empty: give one or more comma-separated values.`);
  return items;
}

/** "a", "a or b", "a, b or c": the names a message offers. */
export function orList(names: readonly string[]): string {
  return names.length <= 1 ? names.join('') : `${names.slice(0, -1).join(', ')} or ${names[names.length - 1]}`;
}

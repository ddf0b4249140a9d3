/**
 * --config FILE: options from a YAML or JSON file (the yaml package reads both), handed to yargs'
 * config support so that options on the command line override them. A key is an option's name
 * (labels-per-class) or the config field it sets (labelsPerClass, as params.json records it); a
 * value is what the option takes, lists as lists or comma-separated. A run's params.json is itself
 * a config file: its `config` object is read, leaving out values equal to the defaults (they
 * return anyway, and leaving them out keeps pairs like --test-fraction and --test-dir apart) and
 * the report folder (a rerun gets a new one).
 * Relative paths in a config file are relative to the working folder, as on the command line.
 */
import fs from 'node:fs';
import nodePath from 'node:path';
import { createRequire } from 'node:module';
import { DEFAULT_CONFIG, type PipelineConfig } from './config.ts';
import { alternativeOptions } from './data/sources.ts';
import { UserError } from './errors.ts';

/** Options that choose the same thing in two ways: one given on the command line drops the others from the file. */
const ALTERNATIVES = [['labeled', 'labels-per-class'], ['quick', 'preset'], ...alternativeOptions()];

/** Config fields that hold options of their own: params.json records the dataset source's options in datasetOptions. */
const OPTION_GROUPS: readonly (keyof PipelineConfig)[] = ['datasetOptions'];

/**
 * What a run's params.json recorded for a dataset option not given, before the dataset sources kept
 * their options in datasetOptions (empty paths and lists are skipped anyway): such a run reruns as it ran.
 */
const UNSET_IN_OLD_RUNS: Readonly<Record<string, unknown>> = { imageSize: 0, channels: 0, impute: 'none', download: false };

/** The option that takes JSON (--arm-settings): in a file, written as YAML or JSON structure. */
const JSON_OPTION = 'arm-settings';

/** Options a config file cannot set. */
const NOT_IN_FILES = new Set(['config', 'help', 'version']);

/** The yaml package, loaded when a file is read (it is not needed to start a command, so it does not slow every start). */
const yaml = () => createRequire(import.meta.url)('yaml') as typeof import('yaml');

const camel = (kebab: string) => kebab.replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());

export interface KnownOptions {
  /** Every option name (kebab-case). */
  names: readonly string[];
  /** Those that are on/off switches. */
  booleans: readonly string[];
  /** The option that sets each config field (src/cli.ts CONFIG_OPTIONS). */
  fields: Readonly<Record<string, string>>;
}

/** The option each accepted key stands for: option names, their camelCase forms, and the config's field names. */
export function optionKeys(known: KnownOptions): Map<string, string> {
  const keys = new Map<string, string>();
  for (const name of known.names.filter((n) => !NOT_IN_FILES.has(n))) {
    keys.set(name, name);
    keys.set(camel(name), name);
  }
  for (const [field, option] of Object.entries(known.fields)) keys.set(field, option);
  for (const group of OPTION_GROUPS) keys.set(group, group);
  return keys;
}

/** True when argv sets `option` itself (--name, --name=…, --no-name, or its camelCase form). */
function onCommandLine(argv: readonly string[], option: string): boolean {
  return [option, camel(option)].some((name) => argv.some((arg) => arg === `--${name}` || arg.startsWith(`--${name}=`) || arg === `--no-${name}`));
}

/** A path as a person finds it: relative to the working folder when inside it (yargs hands over absolute paths). */
function shown(file: string): string {
  const relative = nodePath.relative(process.cwd(), file);
  return relative === '' || relative.startsWith('..') || nodePath.isAbsolute(relative) ? file : relative;
}

function isRunParams(value: Record<string, unknown>): boolean {
  return typeof value.runId === 'string' && typeof value.config === 'object' && value.config !== null && !Array.isArray(value.config);
}

/** A value as its option takes it: a switch as true/false, anything else as the text of the option. */
function optionValue(file: string, key: string, option: string, value: unknown, known: KnownOptions): string | boolean {
  const bad = (what: string) => new UserError(`${file}: "${key}" ${what}`);
  if (known.booleans.includes(option)) {
    if (typeof value === 'boolean') return value;
    throw bad(`is a switch: give true or false, not ${JSON.stringify(value)}.`);
  }
  // The one option whose value is structured: a list of objects, handed over as its JSON text.
  if (option === JSON_OPTION) return typeof value === 'string' ? value : JSON.stringify(value);
  if (Array.isArray(value)) {
    if (!value.every((item) => typeof item === 'number' || typeof item === 'string')) throw bad('lists something other than numbers and names: give a list like [0.01, 0.05].');
    // One seed as a list must stay a list (--seeds 7 would mean seven seeds).
    return option === 'seeds' && value.length === 1 ? `${value[0]},` : value.join(',');
  }
  if (typeof value === 'number' || typeof value === 'string') return String(value);
  throw bad(`has a value of the wrong kind (${JSON.stringify(value)}): give a number, a name or a list.`);
}

/** The options a group field holds ({dataDir: …} in datasetOptions), as entries of their own. */
function groupEntries(file: string, key: string, value: unknown): [string, unknown][] {
  if (value === null || value === undefined) return [];
  if (typeof value !== 'object' || Array.isArray(value)) throw new UserError(`${file}: "${key}" holds options: give an object like {"dataDir": "my-folder"}.`);
  return Object.entries(value);
}

/** Whether a params.json value is what the defaults give anyway. */
function isDefault(field: string, value: unknown): boolean {
  return Object.hasOwn(DEFAULT_CONFIG, field) && JSON.stringify(DEFAULT_CONFIG[field as keyof PipelineConfig]) === JSON.stringify(value);
}

/**
 * Read a config file into option values for yargs (kebab-case keys), leaving out what the command
 * line `argv` chooses otherwise. A UserError names an unreadable file, bad YAML or JSON, unknown
 * keys (all of them) and values of the wrong kind.
 */
export function readConfigFile(path: string, argv: readonly string[], known: KnownOptions): Record<string, string | boolean> {
  const file = shown(path);
  let text: string;
  try {
    text = fs.readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`--config ${file} cannot be read (${(error as NodeJS.ErrnoException).code ?? 'error'}): give the path of a YAML or JSON file.`);
  }
  let parsed: unknown;
  try {
    parsed = yaml().parse(text);
  } catch (error) {
    throw new UserError(`--config ${file} is neither valid YAML nor JSON (${String((error as Error).message).split('\n')[0]}): fix the file.`);
  }
  if (parsed === null || parsed === undefined) return {};
  if (typeof parsed !== 'object' || Array.isArray(parsed)) throw new UserError(`--config ${file} holds no options: write one "option: value" per line (YAML) or a JSON object.`);
  const fromRun = isRunParams(parsed as Record<string, unknown>);
  const entries = Object.entries(fromRun ? (parsed as { config: Record<string, unknown> }).config : parsed as Record<string, unknown>)
    .flatMap(([key, value]) => (OPTION_GROUPS as readonly string[]).includes(key) ? groupEntries(file, key, value) : [[key, value] as [string, unknown]]);
  const keys = optionKeys(known);
  const unknown = entries.map(([key]) => key).filter((key) => !keys.has(key));
  if (unknown.length > 0) {
    throw new UserError(`--config ${file}: unknown key${unknown.length === 1 ? '' : 's'} ${unknown.map((k) => JSON.stringify(k)).join(', ')}: use option names as --help lists them (e.g. labels-per-class or labelsPerClass).`);
  }
  const options: Record<string, string | boolean> = {};
  for (const [key, value] of entries) {
    const option = keys.get(key)!;
    // Empty values (null, '', []) are options not given; params.json records every field, set or not.
    if (value === null || value === '' || (Array.isArray(value) && value.length === 0)) continue;
    // A rerun from params.json writes a new report folder (unless --out says otherwise), never over the old run.
    if (fromRun && (isDefault(key, value) || UNSET_IN_OLD_RUNS[key] === value || option === 'out')) continue;
    if (Object.hasOwn(options, option)) throw new UserError(`--config ${file}: "${key}" sets --${option} a second time: give it once.`);
    options[option] = optionValue(file, key, option, value, known);
  }
  for (const group of ALTERNATIVES) {
    if (group.some((option) => onCommandLine(argv, option))) for (const option of group) if (!onCommandLine(argv, option)) delete options[option];
  }
  return options;
}

/**
 * Command-line options → PipelineConfig. Every option, its help text and its
 * validation live here, except the dataset sources' own options, which each
 * source declares (src/data/sources/); a bad value becomes a one-line
 * UserError naming the option and what would work.
 */
import os from 'node:os';
import yargs from '#yargs';
import { ARM_CHOICES, REFERENCE_ARM, armNamed } from './arms/index.ts';
import { ownSettingsOf } from './arms/arm.ts';
import { BACKEND_CHOICES, DEFAULT_CONFIG, PRESETS, configValues, type ArmSettings, type BackendChoice, type PipelineConfig } from './config.ts';
import { readConfigFile, type KnownOptions } from './config-file.ts';
import { datasetHelp, datasetOptionNames, readDatasetOptions, sourceOptions } from './data/sources.ts';
import { UserError } from './errors.ts';
import { isBudgetLabel } from './jobs/job.ts';
import { ENCODER_FAMILIES, ENCODER_NAMES } from './models/encoders/index.ts';
import { checkRunFolderTarget } from './report/run-folder.ts';
import { checkWritableFolder } from './util/folders.ts';
import { helpColumns } from './util/help-columns.ts';
import { decimal, parseChoice, parseInteger, parseNumber, splitList } from './util/option-values.ts';
import { rejectSwitchValues, switchesOf } from './util/switches.ts';
import { userPath } from './util/user-paths.ts';

export const EPILOG = 'Docs: README.md. Reports go to reports/<run>/report.md; reports/LATEST names the newest run.';

/** The options every stage understands; stage scripts add their own on top. */
export function pipelineOptions(argv: string[], scriptName: string) {
  const d = DEFAULT_CONFIG;
  const parser = yargs(argv);
  // Read when parsing, so the options a stage script adds on top are known to config files too.
  const knownOptions = (): KnownOptions => {
    // getOptions() is yargs' own (v17) but missing from @types/yargs.
    const defined = (parser as unknown as { getOptions(): { key: Record<string, unknown>; boolean: string[] } }).getOptions();
    return { names: Object.keys(defined.key), booleans: defined.boolean, fields: CONFIG_OPTIONS };
  };
  // yargs rethrows a config error as its own error type with only the message: keep ours.
  let configProblem: UserError | undefined;
  const readConfig = (file: string) => {
    try {
      return readConfigFile(file, argv, knownOptions());
    } catch (error) {
      if (error instanceof UserError) configProblem = error;
      throw error;
    }
  };
  const withDataset = parser
    .config('config', 'Read options from a YAML or JSON file (a run\'s params.json reruns that run); options given here override it', readConfig)
    .scriptName(scriptName)
    .usage('$0 [options]')
    .usage('Compare autoencoder-pretrained classifiers with a baseline trained from scratch, at several amounts of labels.')
    .option('labeled', { type: 'string', describe: 'Labeled fractions of the labeled examples in the training pool, comma-separated (all or 1: every one)', defaultDescription: d.labeled.join(',') })
    .option('labels-per-class', { type: 'string', describe: 'Labeled examples per class, comma-separated (instead of --labeled)' })
    .option('validation', { type: 'string', describe: 'Labeled examples per class held out for validation (never trained on; 0 = none)', defaultDescription: String(d.validation) })
    .option('select-epoch', { type: 'string', describe: 'Weights scored on test, the same rule for every arm: last | best-val (the epoch with the best validation accuracy)', defaultDescription: d.selectEpoch })
    .option('seeds', { type: 'string', describe: 'Number of seeds (e.g. 3 → seeds 1,2,3) or a comma-separated list (e.g. 7,8 or 7,)', defaultDescription: String(d.seeds.length) })
    .option('dataset', { type: 'string', describe: `Dataset: ${datasetHelp()}`, defaultDescription: d.dataset });
  // Each source's own options, declared by the source (src/data/sources/); added in place so --help lists them after --dataset.
  for (const [name, option] of sourceOptions()) {
    withDataset.option(name, { type: option.kind === 'switch' ? 'boolean' : 'string', describe: option.describe, ...(option.defaultDescription ? { defaultDescription: option.defaultDescription } : {}) });
  }
  return withDataset
    .option('cache-dir', { type: 'string', describe: 'Folder for cached stage outputs and datasets', defaultDescription: d.cacheDir })
    .option('test-fraction', { type: 'string', describe: 'Share of each class\'s labeled samples held out for testing', defaultDescription: String(d.testFraction) })
    .option('encoder', { type: 'string', describe: `Encoder family: ${ENCODER_FAMILIES.map((f) => `${f.name} (${f.description})`).join(' | ')}`, defaultDescription: d.encoder })
    .option('hidden', { type: 'string', describe: 'Width of the mlp encoder\'s last hidden layer', defaultDescription: String(d.hidden) })
    .option('depth', { type: 'string', describe: 'Hidden layers of the mlp encoder (2 → 512-256 with --hidden 256)', defaultDescription: String(d.depth) })
    .option('latent', { type: 'string', describe: 'Size of the latent code z', defaultDescription: String(d.latent) })
    .option('noise', { type: 'string', describe: 'Denoising strength: masking rate, or gaussian standard deviation (0 = plain autoencoder)', defaultDescription: String(d.noise) })
    .option('noise-type', { type: 'string', describe: 'Denoising noise: mask (zero pixels) | gaussian (add N(0, noise²), clipped to [0,1] for images)', defaultDescription: d.noiseType })
    .option('latent-std', { type: 'string', describe: 'Spread each pretrained latent dimension is rescaled to (0 = a fresh encoder\'s spread)', defaultDescription: String(d.latentStd) })
    .option('arms', { type: 'string', describe: `Arms compared with the baseline (always run), comma-separated: ${ARM_CHOICES.join(', ')}`, defaultDescription: d.arms.join(',') })
    .option('head-epoch-share', { type: 'string', describe: 'two-phase arm: share of the epochs that train only the head', defaultDescription: String(d.headEpochShare) })
    .option('encoder-lr-factor', { type: 'string', describe: 'two-phase arm: encoder learning rate in phase two, × --learning-rate', defaultDescription: String(d.encoderLearningRateFactor) })
    .option('pseudo-steps', { type: 'string', describe: 'pseudo-label arm: joint steps, each a labeled and an unlabeled mini-batch', defaultDescription: String(d.pseudoSteps) })
    .option('pseudo-batch-size', { type: 'string', describe: 'pseudo-label arm: unlabeled mini-batch size', defaultDescription: String(d.pseudoBatchSize) })
    .option('pseudo-threshold', { type: 'string', describe: 'pseudo-label arm: least probability (clean view) for an unlabeled row to count', defaultDescription: String(d.pseudoThreshold) })
    .option('pseudo-weight', { type: 'string', describe: 'pseudo-label arm: final weight α_f of the unlabeled loss', defaultDescription: String(d.pseudoWeight) })
    .option('pseudo-ramp', { type: 'string', describe: 'pseudo-label arm: shares of the steps where α starts rising from 0 and reaches α_f (T1,T2)', defaultDescription: d.pseudoRamp.join(',') })
    .option('pseudo-noise', { type: 'string', describe: 'pseudo-label arm: masking rate of the corrupted unlabeled view', defaultDescription: String(d.pseudoNoise) })
    .option('pseudo-decay', { type: 'string', describe: 'pseudo-label arm: learning-rate schedule, none | cosine (lr·cos(7πt/16T), as FixMatch)', defaultDescription: d.pseudoDecay })
    .option('pseudo-shift', { type: 'string', describe: 'pseudo-label arm: largest random shift in pixels of the corrupted view (images)', defaultDescription: String(d.pseudoShift) })
    .option('pretrain-epochs', { type: 'string', describe: 'Autoencoder epochs over the pool', defaultDescription: String(d.pretrainEpochs) })
    .option('finetune-epochs', { type: 'string', describe: 'Classifier epochs over the labeled subset (every arm)', defaultDescription: String(d.finetuneEpochs) })
    .option('batch-size', { type: 'string', describe: 'Mini-batch size of the classifier arms', defaultDescription: String(d.batchSize) })
    .option('augment-shift', { type: 'string', describe: 'Classifier arms, image data: shift each training image by up to N pixels per axis, randomly each epoch (every arm alike; 0 = off)', defaultDescription: String(d.augmentShift) })
    .option('pretrain-batch-size', { type: 'string', describe: 'Mini-batch size of autoencoder pretraining', defaultDescription: String(d.pretrainBatchSize) })
    .option('learning-rate', { type: 'string', describe: 'Adam learning rate of the classifier arms', defaultDescription: String(d.learningRate) })
    .option('pretrain-learning-rate', { type: 'string', describe: 'Adam learning rate of autoencoder pretraining', defaultDescription: String(d.pretrainLearningRate) })
    .option('backend', { type: 'string', describe: `tfjs backend: ${BACKEND_CHOICES.join(' | ')}`, defaultDescription: d.backend })
    .option('out', { type: 'string', describe: 'Report folder', defaultDescription: 'reports/<run id>' })
    .option('export-arm', { type: 'string', describe: 'The arm whose classifier goes to <out>/model/ (trained on the most labels, first seed)', defaultDescription: 'the best on validation (without validation: pretrained, or the first of --arms)' })
    .option('arm-settings', { type: 'string', describe: 'Settings of single arms over the run\'s, as npm run tune keeps them: a JSON list of {"arm", "budget" (optional: "10 per class", "fraction 0.05"), "settings": {"learningRate": 0.0005, …}} (easier in a --config file)', defaultDescription: 'none' })
    .option('preset', { type: 'string', describe: `Named configuration: ${Object.keys(PRESETS).join(', ')}` })
    .option('quick', { type: 'boolean', describe: 'Tiny smoke-test configuration (same as --preset quick)' })
    .option('jobs', { type: 'string', describe: 'Jobs run at once, each in its own process (results are identical to --jobs 1)', defaultDescription: 'number of cores' })
    .option('executor', { type: 'string', describe: 'Where jobs run: local (--jobs processes here) | bullmq (workers on a Redis queue, --queue) | slurm (one sbatch job each, --slurm-args)', defaultDescription: 'local' })
    .option('queue', { type: 'string', describe: '--executor bullmq: the Redis server holding the queue, redis://HOST:PORT' })
    .option('slurm-args', { type: 'string', describe: '--executor slurm: extra sbatch options for every job, e.g. "--partition=cpu --time=1:00:00 --mem=2G"' })
    .option('dry-run', { type: 'boolean', describe: 'Print the plan (every job, its key, cached or to run) and stop' })
    .option('force', { type: 'string', describe: 'Rerun cached jobs: all (--force) or one stage and every job that reads it (--force pretrain)' })
    .option('quiet', { type: 'boolean', describe: 'Print only errors and the final report path' })
    .example('$0', 'Default run: fractions 0.01,0.05,0.1 × 3 seeds on the embedded digits')
    .example('$0 --labeled 0.02 --seeds 2 --out /tmp/x', 'One fraction, two seeds, report in /tmp/x')
    .example('$0 --labels-per-class 1,10,100', 'Label counts per class instead of fractions')
    .example('$0 --quick', 'Smoke test in seconds')
    .example('$0 --arms pretrained,frozen,two-phase,pca,pseudo-label', 'Every arm against the same baseline')
    .example('$0 --encoder conv --noise-type gaussian --noise 0.3', 'Convolutional denoising autoencoder')
    .example('$0 --config reports/<run>/params.json', 'Rerun a run (options given here override the file)')
    .epilog(EPILOG)
    .strict()
    .help()
    .alias('h', 'help')
    .wrap(helpColumns())
    .exitProcess(false)
    .fail((message, error) => {
      throw configProblem ?? error ?? new UserError(`${message}. See --help.`);
    });
}

export type ParsedArgs = Record<string, unknown>;

/** Parse argv (with a command's own options added by `extend`); returns null when yargs handled --help or --version (it has printed them). */
export async function parseArgs(given: string[], scriptName: string, extend: (options: ReturnType<typeof pipelineOptions>) => ReturnType<typeof pipelineOptions> = (o) => o): Promise<ParsedArgs | null> {
  const argv = withAttachedValue(given, '--slurm-args');
  let handled = false;
  const parser = extend(pipelineOptions(argv, scriptName));
  rejectSwitchValues(argv, switchesOf(parser));
  const args = (await parser.parseAsync(argv, {}, (error, _argv, output) => {
    if (output && !error) {
      handled = true;
      console.log(output);
    }
  })) as ParsedArgs;
  return handled ? null : args;
}

/** `--option value` as `--option=value`: yargs takes a separate value that starts with dashes (all sbatch options do) for an option of its own. */
function withAttachedValue(argv: string[], option: string): string[] {
  const at = argv.indexOf(option);
  return at < 0 || at === argv.length - 1 ? argv : [...argv.slice(0, at), `${option}=${argv[at + 1]}`, ...argv.slice(at + 2)];
}

/** How to run (not what to compute): these never change results, so they are not part of the config. */
export interface RunControl {
  dryRun: boolean;
  /** Stages to rerun even when cached, with everything that reads them ('all': every job); empty: reuse everything valid. */
  force: string[] | 'all';
  /** How many jobs run at once (worker processes when more than 1). */
  jobs: number;
  /** Where the jobs run. */
  executor: ExecutorChoice;
}

export type ExecutorChoice =
  | { kind: 'local' }
  | { kind: 'bullmq'; queue: string }
  | { kind: 'slurm'; sbatchArgs: string[] };

/** Read --dry-run, --force, --jobs and --executor (stage names given to --force are checked against the plan's stages). */
export function runControlFromArgs(args: ParsedArgs): RunControl {
  const force = args.force;
  if (Array.isArray(force)) throw new UserError('--force was given more than once: give it once.');
  const value = force === undefined ? undefined : String(force).trim();
  if (Array.isArray(args.jobs)) throw new UserError('--jobs was given more than once: give it once.');
  const jobsText = args.jobs === undefined ? undefined : String(args.jobs);
  const jobs = jobsText === undefined ? os.cpus().length : parseInteger('jobs', jobsText, 1);
  if (jobs > 64) throw new UserError(`--jobs ${jobs} is more than 64: give at most the number of cores (${os.cpus().length}).`);
  return { dryRun: Boolean(args['dry-run']), force: value === undefined ? [] : value === '' || value === 'all' ? 'all' : [value], jobs, executor: executorFromArgs(args) };
}

/** --executor with its own options; an option of another executor is refused rather than ignored. */
function executorFromArgs(args: ParsedArgs): ExecutorChoice {
  const kind = parseChoice('executor', args.executor === undefined ? 'local' : String(args.executor), ['local', 'bullmq', 'slurm'] as const);
  if (args.queue !== undefined && kind !== 'bullmq') throw new UserError('--queue belongs to --executor bullmq: add --executor bullmq, or leave --queue out.');
  if (args['slurm-args'] !== undefined && kind !== 'slurm') throw new UserError('--slurm-args belongs to --executor slurm: add --executor slurm, or leave --slurm-args out.');
  if (args.jobs !== undefined && kind !== 'local') throw new UserError(`--jobs belongs to --executor local: with --executor ${kind}, ${kind === 'bullmq' ? 'each worker\'s --concurrency sets how many jobs it runs at once' : 'Slurm decides how many jobs run at once'}; leave --jobs out.`);
  if (kind === 'bullmq') {
    if (args.queue === undefined) throw new UserError('--executor bullmq needs --queue redis://HOST:PORT, the Redis server the workers (npm run worker) use.');
    return { kind, queue: String(args.queue) };
  }
  if (kind === 'slurm') return { kind, sbatchArgs: splitShellWords(args['slurm-args'] === undefined ? '' : String(args['slurm-args'])) };
  return { kind };
}

/** Words as a shell splits them, quotes kept together: --slurm-args "--comment='a b' --mem=2G". */
export function splitShellWords(text: string): string[] {
  const words: string[] = [];
  for (const match of text.matchAll(/(?:[^\s'"]+|'[^']*'|"[^"]*")+/g)) words.push(match[0].replace(/'([^']*)'|"([^"]*)"/g, '$1$2'));
  return words;
}

/** The command-line option that sets each setting of the config (datasetOptions holds the dataset source's own options). */
export const CONFIG_OPTIONS: Record<Exclude<keyof PipelineConfig, 'datasetOptions'>, string> = {
  dataset: 'dataset', cacheDir: 'cache-dir', testFraction: 'test-fraction', labeled: 'labeled', labelsPerClass: 'labels-per-class',
  validation: 'validation', selectEpoch: 'select-epoch', seeds: 'seeds', encoder: 'encoder', hidden: 'hidden', depth: 'depth',
  latent: 'latent', noise: 'noise', noiseType: 'noise-type', latentStd: 'latent-std', arms: 'arms', armSettings: 'arm-settings', headEpochShare: 'head-epoch-share',
  encoderLearningRateFactor: 'encoder-lr-factor', pseudoSteps: 'pseudo-steps', pseudoBatchSize: 'pseudo-batch-size',
  pseudoThreshold: 'pseudo-threshold', pseudoWeight: 'pseudo-weight', pseudoRamp: 'pseudo-ramp', pseudoNoise: 'pseudo-noise',
  pseudoShift: 'pseudo-shift', pseudoDecay: 'pseudo-decay', pretrainEpochs: 'pretrain-epochs', finetuneEpochs: 'finetune-epochs',
  batchSize: 'batch-size', augmentShift: 'augment-shift', pretrainBatchSize: 'pretrain-batch-size', learningRate: 'learning-rate',
  pretrainLearningRate: 'pretrain-learning-rate', backend: 'backend', out: 'out', quiet: 'quiet', exportArm: 'export-arm',
};

/** How a setting got its value: the built-in default, a preset, the user's options, or tuning on the validation set. */
export type SettingSource = 'default' | 'preset' | 'user' | 'validation';

/** The preset a run used (if any) and where each of its settings came from, for params.json and the report. */
export interface SettingSources {
  preset: string | null;
  selection: Record<keyof PipelineConfig, SettingSource>;
}

export function settingSources(args: ParsedArgs): SettingSources {
  const preset = args.quick ? 'quick' : typeof args.preset === 'string' ? args.preset : null;
  const fromPreset = preset !== null && preset in PRESETS ? PRESETS[preset].settings : {};
  const perClassGiven = args['labels-per-class'] !== undefined || args.labeled !== undefined;
  const isGiven = (option: string) => args[option] !== undefined;
  const selection = Object.fromEntries((Object.keys(CONFIG_OPTIONS) as (keyof typeof CONFIG_OPTIONS)[]).map((key) => {
    const given = isGiven(CONFIG_OPTIONS[key]) || ((key === 'labeled' || key === 'labelsPerClass') && perClassGiven);
    return [key, given ? 'user' : key in fromPreset ? 'preset' : 'default'];
  })) as Record<keyof PipelineConfig, SettingSource>;
  selection.datasetOptions = datasetOptionNames().some(isGiven) ? 'user' : 'default';
  return { preset, selection };
}

/** Parsed options with `settings` (config keys) given as their options, so tuned values pass the options' own checks. */
export function withSettings(args: ParsedArgs, settings: Record<string, number | string>): ParsedArgs {
  const options = Object.entries(settings).map(([key, value]) => {
    const flag = CONFIG_OPTIONS[key as keyof typeof CONFIG_OPTIONS];
    if (!flag) throw new Error(`no option sets "${key}"`);
    return [flag, String(value)];
  });
  return { ...args, ...Object.fromEntries(options) };
}

/** Resolve parsed options into a validated PipelineConfig: defaults ← preset ← explicit options. */
export function configFromArgs(args: ParsedArgs): PipelineConfig {
  const config = sharedConfigFromArgs(args);
  const given = args['arm-settings'];
  if (given !== undefined && typeof given !== 'string') throw new UserError('--arm-settings was given more than once: give it once.');
  // Each arm's own settings pass the same checks as the run's (an out-of-range learning rate is as wrong for one arm).
  config.armSettings = checkArmSettings(given === undefined ? config.armSettings : parseArmSettings(given), (settings) => sharedConfigFromArgs(withSettings(args, settings)));
  return config;
}

/** --arm-settings JSON (a config file's list arrives as its JSON text). */
function parseArmSettings(text: string): ArmSettings[] {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new UserError(`--arm-settings is not JSON: give a list like [{"arm": "pretrained", "budget": "10 per class", "settings": {"learningRate": 0.0005}}], or write it in a --config file.`);
  }
  if (!Array.isArray(value)) throw new UserError('--arm-settings must be a list of {"arm", "budget", "settings"}: e.g. [{"arm": "pretrained", "settings": {"learningRate": 0.0005}}].');
  return value.map((entry: unknown, i): ArmSettings => {
    const e = entry as Record<string, unknown>;
    const where = `--arm-settings entry ${i + 1}`;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) throw new UserError(`${where} is not an object: give {"arm", "budget", "settings"}.`);
    const extra = Object.keys(e).filter((key) => !['arm', 'budget', 'settings'].includes(key));
    if (extra.length > 0) throw new UserError(`${where} has ${extra.map((k) => `"${k}"`).join(', ')}: give only "arm", "budget" (optional) and "settings".`);
    if (typeof e.arm !== 'string') throw new UserError(`${where} names no "arm": give one of ${[REFERENCE_ARM.name, ...ARM_CHOICES].join(', ')}.`);
    if (e.budget !== undefined && typeof e.budget !== 'string') throw new UserError(`${where}: "budget" must be text like "10 per class" or "fraction 0.05".`);
    if (typeof e.settings !== 'object' || e.settings === null || Array.isArray(e.settings)) throw new UserError(`${where} (${e.arm}) has no "settings" object: give e.g. {"learningRate": 0.0005}.`);
    for (const [key, value] of Object.entries(e.settings)) {
      if (typeof value !== 'number' && typeof value !== 'string') throw new UserError(`${where} (${e.arm}): setting "${key}" must be a number or text.`);
    }
    return { arm: e.arm, ...(e.budget !== undefined ? { budget: e.budget } : {}), settings: e.settings as Record<string, number | string> };
  });
}

/** Arms, budgets and settings that exist, and values the options allow (through `check`, the run's own checks); the values typed as the config holds them. */
function checkArmSettings(entries: ArmSettings[], check: (settings: Record<string, number | string>) => PipelineConfig): ArmSettings[] {
  return entries.map((entry) => {
    const arm = withPrefix('--arm-settings: ', () => armNamed(entry.arm));
    if (arm.controlFor) throw new UserError(`--arm-settings: ${arm.name} takes the settings of ${arm.controlFor}, the arm it controls: give them for ${arm.controlFor}.`);
    if (entry.budget !== undefined && !isBudgetLabel(entry.budget)) {
      throw new UserError(`--arm-settings: budget "${entry.budget}" of ${arm.name} is not a label budget: write "10 per class" or "fraction 0.05" (or leave it out for every budget).`);
    }
    const allowed = ownSettingsOf(arm, DEFAULT_CONFIG);
    for (const key of Object.keys(entry.settings)) {
      if (!allowed.includes(key)) throw new UserError(`--arm-settings: ${arm.name} cannot have its own "${key}": give one of ${allowed.join(', ')} (the other settings are shared by every arm).`);
    }
    const checked = withPrefix(`--arm-settings for ${arm.name}: `, () => check(entry.settings));
    const settings = configValues(checked, Object.keys(entry.settings));
    return { arm: arm.name, ...(entry.budget !== undefined ? { budget: entry.budget } : {}), settings };
  });
}

/** `make()`, its bad-input message starting with `prefix` (which says where the input came from). */
function withPrefix<T>(prefix: string, make: () => T): T {
  try {
    return make();
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`${prefix}${error.message}`);
    throw error;
  }
}

/** The run's settings, every arm's alike (armSettings as the preset gives them, unchecked). */
function sharedConfigFromArgs(args: ParsedArgs): PipelineConfig {
  const presetName = args.quick ? 'quick' : (args.preset as string | undefined);
  if (args.quick && args.preset && args.preset !== 'quick') {
    throw new UserError(`--quick and --preset ${String(args.preset)} conflict: give one of them.`);
  }
  let preset: Partial<PipelineConfig> = {};
  if (presetName !== undefined) {
    if (!(presetName in PRESETS)) {
      throw new UserError(`--preset ${presetName} is unknown: use one of ${Object.keys(PRESETS).join(', ')}.`);
    }
    preset = PRESETS[presetName].settings;
  }
  const config: PipelineConfig = { ...DEFAULT_CONFIG, ...preset };
  const given = (name: string): string | undefined => {
    const value = args[name];
    if (value === undefined) return undefined;
    if (Array.isArray(value)) throw new UserError(`--${name} was given more than once: give it once.`);
    return String(value);
  };
  // A path the user typed, resolved against the folder they typed the command in (user-paths.ts).
  const givenPath = (name: string): string | undefined => {
    const value = given(name);
    if (value === undefined) return undefined;
    if (value.trim() === '') throw new UserError(`--${name} is empty: give a path.`);
    return userPath(value);
  };

  const labeled = given('labeled');
  const perClass = given('labels-per-class');
  if (labeled !== undefined && perClass !== undefined) {
    throw new UserError('--labeled and --labels-per-class both given: use one of them.');
  }
  if (labeled !== undefined) {
    config.labeled = parseFractionList(labeled);
    config.labelsPerClass = [];
  }
  if (perClass !== undefined) {
    config.labelsPerClass = parseIntegerList('labels-per-class', perClass, 1);
    config.labeled = [];
  }
  const validation = given('validation');
  if (validation !== undefined) config.validation = parseInteger('validation', validation, 0, 100_000);
  const selectEpoch = given('select-epoch');
  if (selectEpoch !== undefined) config.selectEpoch = parseChoice('select-epoch', selectEpoch, ['last', 'best-val'] as const);
  if (config.selectEpoch === 'best-val' && config.validation === 0) {
    throw new UserError('--select-epoch best-val needs a validation set: give --validation K (K > 0 labeled examples per class) or use --select-epoch last.');
  }
  const seeds = given('seeds');
  if (seeds !== undefined) config.seeds = parseSeeds(seeds);
  Object.assign(config, readDatasetOptions(given('dataset') ?? config.dataset, { text: given, path: givenPath, switch: (name) => args[name] === true }));
  const cacheDir = givenPath('cache-dir');
  if (cacheDir !== undefined) config.cacheDir = cacheDir;
  // The default data/ too: a read-only one would otherwise fail only after the training.
  checkWritableFolder(cacheDir === undefined ? `the cache folder ${config.cacheDir}/ (the default of --cache-dir)` : `--cache-dir ${given('cache-dir')}`, config.cacheDir);
  const testFraction = given('test-fraction');
  if (testFraction !== undefined) config.testFraction = parseNumber('test-fraction', testFraction, { min: 0, max: 1, exclusiveMin: true, exclusiveMax: true });
  // Upper bounds keep typos (an extra zero, a depth of 30) from becoming out-of-memory crashes.
  const int = (name: string, key: 'hidden' | 'depth' | 'latent' | 'pretrainEpochs' | 'finetuneEpochs' | 'batchSize' | 'pretrainBatchSize' | 'pseudoSteps' | 'pseudoBatchSize' | 'pseudoShift', min: number, max: number) => {
    const value = given(name);
    if (value !== undefined) config[key] = parseInteger(name, value, min, max);
  };
  int('hidden', 'hidden', 1, 8192);
  int('latent', 'latent', 1, 4096);
  int('pretrain-epochs', 'pretrainEpochs', 0, 10_000);
  int('finetune-epochs', 'finetuneEpochs', 1, 10_000);
  int('batch-size', 'batchSize', 1, 65_536);
  int('pretrain-batch-size', 'pretrainBatchSize', 1, 65_536);
  int('depth', 'depth', 1, 6);
  int('pseudo-steps', 'pseudoSteps', 1, 10_000_000);
  int('pseudo-batch-size', 'pseudoBatchSize', 1, 65_536);
  int('pseudo-shift', 'pseudoShift', 0, 8);
  const encoder = given('encoder');
  if (encoder !== undefined) config.encoder = parseChoice('encoder', encoder, ENCODER_NAMES);
  const noiseType = given('noise-type');
  if (noiseType !== undefined) config.noiseType = parseChoice('noise-type', noiseType, ['mask', 'gaussian'] as const);
  const noise = given('noise');
  // A masking rate is a share (< 1); a gaussian standard deviation may be any size.
  if (noise !== undefined) config.noise = parseNumber('noise', noise, config.noiseType === 'mask' ? { min: 0, max: 1, exclusiveMax: true } : { min: 0, max: 10 });
  const latentStd = given('latent-std');
  if (latentStd !== undefined) config.latentStd = parseNumber('latent-std', latentStd, { min: 0, max: 100 });
  const arms = given('arms');
  if (arms !== undefined) config.arms = parseArms(arms);
  const exportArm = given('export-arm');
  if (exportArm !== undefined) {
    const running = [REFERENCE_ARM.name, ...config.arms];
    if (!running.includes(exportArm.trim())) throw new UserError(`--export-arm ${exportArm} is not an arm of this run: give one of ${running.join(', ')} (or add it to --arms).`);
    config.exportArm = exportArm.trim();
  }
  const headShare = given('head-epoch-share');
  if (headShare !== undefined) config.headEpochShare = parseNumber('head-epoch-share', headShare, { min: 0, max: 1 });
  const lrFactor = given('encoder-lr-factor');
  if (lrFactor !== undefined) config.encoderLearningRateFactor = parseNumber('encoder-lr-factor', lrFactor, { min: 0, max: 10, exclusiveMin: true });
  const threshold = given('pseudo-threshold');
  if (threshold !== undefined) config.pseudoThreshold = parseNumber('pseudo-threshold', threshold, { min: 0, max: 1, exclusiveMax: true });
  const shift = given('augment-shift');
  if (shift !== undefined) config.augmentShift = parseInteger('augment-shift', shift, 0, 8);
  const pseudoWeight = given('pseudo-weight');
  if (pseudoWeight !== undefined) config.pseudoWeight = parseNumber('pseudo-weight', pseudoWeight, { min: 0, max: 100 });
  const pseudoNoise = given('pseudo-noise');
  if (pseudoNoise !== undefined) config.pseudoNoise = parseNumber('pseudo-noise', pseudoNoise, { min: 0, max: 1, exclusiveMax: true });
  const decay = given('pseudo-decay');
  if (decay !== undefined) config.pseudoDecay = parseChoice('pseudo-decay', decay, ['none', 'cosine'] as const);
  const ramp = given('pseudo-ramp');
  if (ramp !== undefined) config.pseudoRamp = parseRamp(ramp);
  const lr = given('learning-rate');
  if (lr !== undefined) config.learningRate = parseNumber('learning-rate', lr, { min: 0, max: 10, exclusiveMin: true });
  const pretrainLr = given('pretrain-learning-rate');
  if (pretrainLr !== undefined) config.pretrainLearningRate = parseNumber('pretrain-learning-rate', pretrainLr, { min: 0, max: 10, exclusiveMin: true });
  const backend = given('backend');
  if (backend !== undefined) {
    if (!BACKEND_CHOICES.includes(backend as BackendChoice)) {
      throw new UserError(`--backend ${backend} is unknown: use one of ${BACKEND_CHOICES.join(', ')}.`);
    }
    config.backend = backend as BackendChoice;
  }
  const out = givenPath('out');
  if (out !== undefined) {
    checkRunFolderTarget(`--out ${given('out')}`, out);
    checkWritableFolder(`--out ${given('out')}`, out, { beside: true });
    config.out = out;
  }
  config.quiet = Boolean(args.quiet);
  return config;
}

/** A comma list of arms (the baseline always runs, so naming it is allowed and ignored). */
export function parseArms(text: string): PipelineConfig['arms'] {
  const names = splitList('arms', text).filter((name) => name !== REFERENCE_ARM.name);
  const arms = names.map((name) => parseChoice('arms', name, ARM_CHOICES));
  if (new Set(arms).size !== arms.length) throw new UserError('--arms lists an arm twice: give each arm once.');
  if (arms.length === 0) throw new UserError(`--arms names no arm besides the baseline: give one or more of ${ARM_CHOICES.join(', ')}.`);
  return ARM_CHOICES.filter((arm) => arms.includes(arm));
}

/** --pseudo-ramp T1,T2: two shares of the steps, 0 ≤ T1 ≤ T2 ≤ 1. */
function parseRamp(text: string): [number, number] {
  const items = text.split(',').map((s) => s.trim());
  if (items.length !== 2) throw new UserError(`--pseudo-ramp ${text} is not two shares: give start,end like 0.1,0.4 (0 ≤ start ≤ end ≤ 1).`);
  const [start, end] = items.map((item) => parseNumber('pseudo-ramp', item, { min: 0, max: 1 }));
  if (start > end) throw new UserError(`--pseudo-ramp ${text} ends before it starts: give start ≤ end, like 0.1,0.4.`);
  return [start, end];
}

function ascendingUnique(name: string, values: number[]): number[] {
  const sorted = [...new Set(values)].sort((a, b) => a - b);
  if (sorted.length !== values.length) throw new UserError(`--${name} lists a value twice: give each value once.`);
  return sorted;
}

/** Labeled fractions: each in (0, 1]; "all" is 1 (every labeled example). */
export function parseFractionList(text: string): number[] {
  const values = splitList('labeled', text).map((item) => {
    const value = item.toLowerCase() === 'all' ? 1 : decimal(item);
    if (!Number.isFinite(value)) throw new UserError(`--labeled "${item}" is not a number: give fractions of the labeled examples in (0, 1], e.g. 0.01,0.05,0.1, or all.`);
    if (value <= 0 || value > 1) throw new UserError(`--labeled ${item} is not a fraction in (0, 1]: give e.g. 0.01,0.05,0.1 (for label counts use --labels-per-class).`);
    return value;
  });
  return ascendingUnique('labeled', values);
}

function parseIntegerList(name: string, text: string, min: number): number[] {
  return ascendingUnique(name, splitList(name, text).map((item) => parseInteger(name, item, min)));
}

/** A single whole number is a count (seeds 1..N); a comma-separated list names the seeds. */
export function parseSeeds(text: string): number[] {
  if (!text.includes(',')) {
    const count = parseInteger('seeds', text, 1);
    if (count > 100) throw new UserError(`--seeds ${text} is more than 100 seeds: give a smaller count or a list like 1,2,3.`);
    return Array.from({ length: count }, (_, i) => i + 1);
  }
  // Seeds feed 32-bit generators (rng.ts): a larger one would silently repeat a smaller seed's run.
  return ascendingUnique('seeds', splitList('seeds', text).map((item) => parseInteger('seeds', item, 0, 2 ** 32 - 1)));
}

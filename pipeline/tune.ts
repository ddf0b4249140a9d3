/**
 * Tuning on validation, the same for every arm:
 *
 *   npm run tune -- [pipeline options] --trials N [--search-space FILE]
 *
 * Every arm — the baseline included — gets the same number of trials: trial 1
 * with the run's own settings, the others drawn from each arm's search space
 * with a seeded generator (src/tune/search-space.ts). A trial trains the arm
 * on every seed and label budget, like the pipeline, and is scored on the
 * validation examples only: a trial job never reads the test set. For each
 * arm and label budget the trial with the best mean validation accuracy is
 * kept (the earlier trial on a tie); step-matched controls follow the arm they
 * control. Then the kept settings run once more, scored on the test set, and
 * the usual report is written, with every trial in tuning.csv. Trials are
 * ordinary cached jobs: a rerun trains nothing, and --jobs works.
 */
import path from 'node:path';
import type { ArmDefinition } from '../src/arms/index.ts';
import { configFromArgs, parseArgs, runControlFromArgs, settingSources, withSettings, type ParsedArgs } from '../src/cli.ts';
import { configValues, type PipelineConfig } from '../src/config.ts';
import { budgetsOf, type LabelBudget } from '../src/data/split.ts';
import { UserError } from '../src/errors.ts';
import { budgetLabel, type Job } from '../src/jobs/job.ts';
import { armsOf, Planner } from '../src/jobs/plan.ts';
import { mean } from '../src/eval/stats.ts';
import { csvText } from '../src/report/csv-text.ts';
import type { TuningRecord } from '../src/report/run-record.ts';
import { TUNING_FILE } from '../src/report/run-folder.ts';
import { searchSpaces, trialSettings } from '../src/tune/search-space.ts';
import { runCommand } from '../src/util/command.ts';
import { isEntryScript } from '../src/util/entry-script.ts';
import type { ClassifierScore } from './classifier-stage.ts';
import { describeRunPlan, executePlan } from './execute.ts';
import { PIPELINE_STAGES } from './registry.ts';
import { checkReportFolder, reportRun } from './run.ts';
import { startRun, type StartedRun } from './start-run.ts';

/** Trials per arm when --trials is not given. */
const DEFAULT_TRIALS = 8;

/** One trial of one arm at one label budget: its settings and mean validation accuracy over the seeds. */
interface TrialResult {
  arm: string;
  trial: number;
  budget: LabelBudget;
  labeled: number;
  settings: Record<string, number | string>;
  valAccuracy: number;
}

async function main(argv: string[]): Promise<void> {
  await runCommand(async () => {
    const args = await parseArgs(argv, 'npm run tune --', (options) => options
      .usage('Choose each arm\'s settings on the validation split (the same number of trials for every arm, the baseline included), then run them once on the test set.')
      .option('trials', { type: 'string', describe: 'Trials per arm (trial 1: the settings given; the others: random draws from the search space)', defaultDescription: String(DEFAULT_TRIALS) })
      .option('search-space', { type: 'string', describe: 'JSON or YAML file of ranges per arm ("*" for every arm), e.g. {"*": {"learningRate": {"log": [0.0003, 0.003]}}}' })
      .example('$0 --quick --seeds 2 --validation 5 --arms pretrained --trials 3', 'A small tuning run')) as ParsedArgs | null;
    if (args === null) return;
    await tune(args);
  });
}

async function tune(args: ParsedArgs): Promise<void> {
  const startedAt = new Date();
  const config = configFromArgs(args);
  const control = runControlFromArgs(args);
  const trials = args.trials === undefined ? DEFAULT_TRIALS : Number(args.trials);
  if (!Number.isInteger(trials) || trials < 1 || trials > 1000) throw new UserError(`--trials ${String(args.trials)} is not a whole number from 1 to 1000: give e.g. --trials 8.`);
  if (config.validation === 0) throw new UserError('npm run tune needs a validation set to choose on: give --validation K with K > 0 labeled examples per class (the test set is never used for choosing).');
  const spaceFile = typeof args['search-space'] === 'string' ? path.resolve(args['search-space']) : undefined;

  if (!control.dryRun) checkReportFolder(config);
  const run = await startRun(config, control);
  const arms = armsOf(run);
  // A control is not tuned on its own: it takes the settings kept for the arm it controls, so only the unlabeled data differ.
  const tuned = arms.filter((arm) => arm.controlFor === undefined);
  const spaces = searchSpaces(tuned, config, spaceFile);
  const trialConfigs = new Map<string, { settings: Record<string, number | string>; config: PipelineConfig }>();
  for (const arm of tuned) {
    for (let trial = 1; trial <= trials; trial++) {
      const settings = trialSettings(spaces.get(arm.name)!, config, arm.name, trial, config.seeds[0] ?? 1);
      trialConfigs.set(`${arm.name}|${trial}`, { settings, config: checkedTrialConfig(args, settings, `trial ${trial} of ${arm.name}`) });
    }
  }

  run.log.header(`tune (${tuned.length} arms × ${trials} trials, scored on validation)`);
  // Per-arm settings are what tuning chooses: trial 1 is the shared settings, so a tuning run starts from the same place however often it is repeated.
  if (config.armSettings.length > 0) run.log.info(`the run's per-arm settings (${config.armSettings.length}, from ${args['arm-settings'] === undefined ? 'the preset' : '--arm-settings'}) are not a starting point: every arm's trial 1 is the shared settings, and what is kept replaces them`);
  const trialPlan = new Planner({ stages: PIPELINE_STAGES, config, facts: run.facts, engine: run.engine });
  const trialJobs: { job: Job; arm: string; trial: number; budget: LabelBudget }[] = [];
  for (const arm of tuned) {
    for (let trial = 1; trial <= trials; trial++) {
      for (const seed of config.seeds) {
        for (const budget of budgetsOf(config)) {
          const job = trialPlan.armJob(arm, seed, budget, { config: trialConfigs.get(`${arm.name}|${trial}`)!.config, tag: `trial ${trial}`, extra: { scoreTest: false } });
          trialJobs.push({ job, arm: arm.name, trial, budget });
        }
      }
    }
  }
  if (control.dryRun) {
    describeRunPlan(run, trialPlan.jobs, PIPELINE_STAGES, control).forEach((line) => run.log.always(line));
    return;
  }
  const trialRecords = await executePlan(run, trialPlan.jobs, PIPELINE_STAGES, control);
  const results = trialResults(run, trialJobs, trialConfigs);
  const chosen = choose(results, arms);
  for (const c of chosen) run.log.info(`${c.arm} at ${budgetLabel(c.budget)}: ${c.follows ? `as ${c.follows}` : `trial ${c.trial}, validation accuracy ${(c.valAccuracy * 100).toFixed(1)} %`} (${Object.entries(c.settings).map(([k, v]) => `${k} ${v}`).join(', ')})`);

  run.log.header('final run on the test set (the settings kept)');
  // What was kept becomes the run's per-arm settings, so params.json reruns it with npm run pipeline -- --config.
  const armSettings = chosen.filter((c) => !c.follows).map((c) => ({ arm: c.arm, budget: budgetLabel(c.budget), settings: configValues(trialConfigs.get(`${c.arm}|${c.trial}`)!.config, Object.keys(c.settings)) }));
  const finalRun: StartedRun = { ...run, config: { ...config, armSettings } };
  const finalPlan = new Planner({ stages: PIPELINE_STAGES, config: finalRun.config, facts: run.facts, engine: run.engine });
  for (const seed of config.seeds) {
    for (const budget of budgetsOf(config)) {
      for (const arm of arms) finalPlan.armJob(arm, seed, budget);
    }
  }
  finalPlan.addReportMaterial();
  const finalRecords = await executePlan(finalRun, finalPlan.jobs, PIPELINE_STAGES, control);

  const sources = settingSources(args);
  const tunedKeys = new Set(chosen.flatMap((c) => Object.keys(c.settings)));
  for (const key of [...tunedKeys, 'armSettings']) (sources.selection as Record<string, string>)[key] = 'validation';
  const tuning: TuningRecord = {
    trials,
    chosen: chosen.map((c) => ({ arm: c.arm, labeled: c.labeled, trial: c.trial, settings: c.settings, valAccuracy: c.valAccuracy, ...(c.follows ? { follows: c.follows } : {}) })),
  };
  await reportRun(finalRun, finalPlan.jobs, [...trialRecords, ...finalRecords], { startedAt, sources, tuning, files: { [TUNING_FILE]: tuningCsv(results, chosen) } });
}


/** A trial's config: the run's options plus the trial's settings, through the options' own checks (a user's range may reach outside them). */
function checkedTrialConfig(args: ParsedArgs, settings: Record<string, number | string>, what: string): PipelineConfig {
  try {
    return configFromArgs(withSettings(args, settings));
  } catch (error) {
    if (error instanceof UserError) throw new UserError(`${what} is outside what the options allow (${error.message.replace(/\.$/, '')}): narrow the range in --search-space.`);
    throw error;
  }
}

/** Mean validation accuracy over the seeds of every trial of every arm at every budget. */
function trialResults(run: StartedRun, jobs: { job: Job; arm: string; trial: number; budget: LabelBudget }[], configs: Map<string, { settings: Record<string, number | string> }>): TrialResult[] {
  const groups = new Map<string, { arm: string; trial: number; budget: LabelBudget; scores: ClassifierScore[] }>();
  for (const { job, arm, trial, budget } of jobs) {
    const id = `${arm}|${trial}|${budgetLabel(budget)}`;
    if (!groups.has(id)) groups.set(id, { arm, trial, budget, scores: [] });
    groups.get(id)!.scores.push(run.store.readJson<ClassifierScore>(job.stage, job.key, 'score.json'));
  }
  return [...groups.values()].map(({ arm, trial, budget, scores }) => ({
    arm, trial, budget, labeled: mean(scores.map((s) => s.labeled)), settings: configs.get(`${arm}|${trial}`)!.settings,
    valAccuracy: mean(scores.map((s) => s.valAccuracy ?? NaN)),
  }));
}

/** Per arm and budget the trial with the best mean validation accuracy (the earliest on a tie); controls follow their arm. */
function choose(results: TrialResult[], arms: ArmDefinition[]): (TrialResult & { follows?: string })[] {
  const budgets = [...new Map(results.map((r) => [budgetLabel(r.budget), r.budget])).values()];
  return arms.flatMap((arm) => budgets.map((budget) => {
    const own = arm.controlFor ?? arm.name;
    const candidates = results.filter((r) => r.arm === own && budgetLabel(r.budget) === budgetLabel(budget)).sort((a, b) => a.trial - b.trial);
    // A later trial must be better by more than float noise in the mean to replace an earlier one.
    const best = candidates.reduce((a, b) => (b.valAccuracy > a.valAccuracy + 1e-9 ? b : a));
    return { ...best, arm: arm.name, ...(arm.controlFor ? { follows: arm.controlFor } : {}) };
  })).sort((a, b) => a.labeled - b.labeled || arms.findIndex((x) => x.name === a.arm) - arms.findIndex((x) => x.name === b.arm));
}

/** tuning.csv: one row per arm × trial × label budget, with its settings, validation accuracy and whether it was kept. */
function tuningCsv(results: TrialResult[], chosen: { arm: string; trial: number; budget: LabelBudget }[]): string {
  const keys = [...new Set(results.flatMap((r) => Object.keys(r.settings)))].sort();
  const isKept = (r: TrialResult) => chosen.some((c) => c.arm === r.arm && c.trial === r.trial && budgetLabel(c.budget) === budgetLabel(r.budget));
  const rows = results
    .sort((a, b) => a.labeled - b.labeled || a.arm.localeCompare(b.arm) || a.trial - b.trial)
    .map((r) => [r.arm, r.trial, r.labeled, ...keys.map((k) => r.settings[k] ?? ''), Number(r.valAccuracy.toFixed(6)), isKept(r) ? 'yes' : 'no']);
  return csvText(['arm', 'trial', 'labeled', ...keys, 'valAccuracy', 'kept'], rows);
}

if (isEntryScript(import.meta.url)) void main(process.argv.slice(2));

/**
 * The plan: every job a run needs, each with the content key of its output.
 * A key hashes exactly what determines the output — the stage's slice of the
 * config, the arm's settings, the keys of its inputs, the dataset's
 * fingerprint, the engine (backend and versions) where it matters, and the
 * stage's code version — so an unchanged job is skipped, and changing only
 * the labeled fractions (or adding an arm) reuses splits, encoders and the
 * arms already trained. Everything here is derived from the stage and arm
 * declarations; nothing names a particular stage or arm.
 */
import { hashOf } from '../artifacts/hash.ts';
import type { ArtifactStore } from '../artifacts/store.ts';
import { armNamed, REFERENCE_ARM, type ArmDefinition } from '../arms/index.ts';
import { budgetsOf, type LabelBudget } from '../data/split.ts';
import { UserError } from '../errors.ts';
import { budgetLabel, type Job } from './job.ts';
import { withInputs, type PlanContext, type StageDefinition } from './stage.ts';

export interface PlanRequest extends PlanContext {
  /** The stages that may run (with their inputs, transitively). */
  stages: readonly StageDefinition[];
  /** Engine id (src/backend engineId), hashed into the keys of backend-dependent stages. */
  engine: string;
  /** Plan only this stage's jobs and what they read (a stage file run on its own); default: the whole run. */
  only?: StageDefinition;
}

/** The arms a config asks for, the reference first, each checked against the data. */
export function armsOf(plan: PlanContext): ArmDefinition[] {
  const arms = [REFERENCE_ARM, ...plan.config.arms.map(armNamed).filter((arm) => arm !== REFERENCE_ARM)];
  for (const arm of arms) arm.check?.(plan.config, plan.facts);
  return arms;
}

/** Every job of a run, in an order where each job comes after the jobs it reads. */
export function buildPlan(request: PlanRequest): Job[] {
  const plan: PlanContext = { config: request.config, facts: request.facts };
  const stages = withInputs(request.only ? [request.only] : request.stages);
  const stageNamed = (name: string): StageDefinition => {
    const stage = stages.find((s) => s.name === name);
    if (!stage) throw new Error(`arm stage "${name}" is not among the stages of this run (${stages.map((s) => s.name).join(', ')})`);
    return stage;
  };
  const paramsOf = new Map<StageDefinition, unknown>();
  const stageParams = (stage: StageDefinition): unknown => {
    if (!paramsOf.has(stage)) paramsOf.set(stage, stage.params(plan));
    return paramsOf.get(stage);
  };
  const jobs: Job[] = [];
  const byId = new Map<string, Job>();

  const add = (stage: StageDefinition, seed: number, arm?: ArmDefinition, budget?: LabelBudget): Job => {
    const id = arm && budget ? `${arm.name} seed ${seed} ${budgetLabel(budget)}` : `${stage.name} seed ${seed}`;
    const existing = byId.get(id);
    if (existing) return existing;
    const reads = [...stage.inputs, ...(arm?.usesEncoder ? [encoderStageOf(stage)] : [])];
    const inputJobs = reads.map((input) => add(input, seed));
    const params = { ...(stageParams(stage) as object), ...(arm?.settings?.(plan.config, plan.facts) ?? {}) };
    const inputs = Object.fromEntries(inputJobs.map((job) => [job.stage, job.key]));
    const key = hashOf({
      stage: stage.name, version: stage.version, seed, dataset: plan.facts.fingerprint, inputs, params,
      ...(arm ? { arm: arm.name } : {}), ...(budget ? { budget } : {}), ...(stage.usesBackend ? { engine: request.engine } : {}),
    });
    const job: Job = { stage: stage.name, id, key, seed, deps: inputJobs.map((j) => j.id), inputs, params, ...(arm ? { arm: arm.name } : {}), ...(budget ? { budget } : {}) };
    jobs.push(job);
    byId.set(id, job);
    return job;
  };
  const { seeds } = request.config;
  const only = request.only;

  if (only?.grain === 'seed') {
    for (const seed of seeds) add(only, seed);
    return jobs;
  }
  if (only?.grain === 'report') {
    if (only.applies?.(plan) ?? true) add(only, seeds[0]);
    return jobs;
  }
  const arms = armsOf(plan).filter((arm) => !only || arm.stage === only.name);
  if (arms.length === 0) throw new UserError(`--arms names no arm that the ${only?.name} stage trains: give one of those it does.`);
  for (const seed of seeds) {
    for (const budget of budgetsOf(request.config)) {
      for (const arm of arms) add(stageNamed(arm.stage), seed, arm, budget);
    }
  }
  // Report material (pictures) for the first seed, only where what it reads is planned anyway: it never adds training.
  for (const stage of only ? [] : stages.filter((s) => s.grain === 'report')) {
    const readsPlanned = stage.inputs.every((input) => byId.has(`${input.name} seed ${seeds[0]}`));
    if (readsPlanned && (stage.applies?.(plan) ?? true)) add(stage, seeds[0]);
  }
  return jobs;
}

function encoderStageOf(stage: StageDefinition): StageDefinition {
  if (!stage.encoderInput) throw new Error(`stage ${stage.name} trains an arm that uses the pretrained encoder but names no encoder input`);
  return stage.encoderInput;
}

/**
 * The jobs `--force` reruns: those of the named stages (all stages for 'all')
 * and every job that reads their outputs, directly or not.
 */
export function forcedJobs(jobs: readonly Job[], force: readonly string[] | 'all', stageNames: readonly string[]): Set<string> {
  if (force === 'all') return new Set(jobs.map((job) => job.id));
  for (const name of force) {
    if (!stageNames.includes(name)) throw new UserError(`--force ${name} is not a stage: use --force alone (everything) or one of ${stageNames.join(', ')}.`);
  }
  const forced = new Set(jobs.filter((job) => force.includes(job.stage)).map((job) => job.id));
  // Jobs come after their inputs, so one pass in plan order reaches every dependent.
  for (const job of jobs) if (job.deps.some((dep) => forced.has(dep))) forced.add(job.id);
  return forced;
}

/** One line per job for --dry-run: its id, key, and whether it is cached, forced or to run. */
export function describePlan(jobs: readonly Job[], store: ArtifactStore, force: Set<string>): string[] {
  return [`plan: ${jobs.length} jobs (data in ${store.root})`, ...jobs.map((job) => {
    const check = store.check(job.stage, job.key);
    const status = force.has(job.id) ? 'forced' : check.ok ? 'cached' : check.reason === 'missing' ? 'to run' : `to run (corrupt: ${check.reason})`;
    return `  ${job.id.padEnd(36)} ${job.key}  ${status}`;
  })];
}

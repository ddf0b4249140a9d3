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
import { ARM_DEFINITIONS, armNamed, REFERENCE_ARM, type ArmDefinition } from '../arms/index.ts';
import { budgetsOf, type LabelBudget } from '../data/split.ts';
import { armConfig, type PipelineConfig } from '../config.ts';
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

/** The arms a config asks for, the reference first, with the step-matched control of each arm that has one, each checked against the data. */
export function armsOf(plan: PlanContext): ArmDefinition[] {
  const asked = new Set([REFERENCE_ARM.name, ...plan.config.arms.map((name) => armNamed(name).name)]);
  const arms = ARM_DEFINITIONS.filter((arm) => asked.has(arm.name) || (arm.controlFor !== undefined && asked.has(arm.controlFor)));
  for (const arm of arms) arm.check?.(plan.config, plan.facts);
  return arms;
}

/** How an arm job may differ from the run's own: other settings (tuning trials), told apart by a tag in its id. */
export interface ArmJobVariant {
  /** The config this job is planned from instead of the run's (seed-level stages always use the run's). */
  config?: PipelineConfig;
  /** Appended to the job's id: "pretrained seed 1 fraction 0.01 trial 3". */
  tag?: string;
  /** Added to the job's parameters (and key), e.g. { scoreTest: false } for a trial. */
  extra?: object;
}

/**
 * Builds a plan job by job: each job is added once (by id) after the jobs it
 * reads, with its key. Seed-level stages (the split, pretraining) are planned
 * from the run's config; arm jobs may be planned from other settings.
 */
export class Planner {
  readonly jobs: Job[] = [];
  private readonly byId = new Map<string, Job>();
  private readonly stages: StageDefinition[];

  constructor(private readonly request: Omit<PlanRequest, 'only'> & { only?: StageDefinition }) {
    this.stages = withInputs(request.only ? [request.only] : request.stages);
  }

  /** The job of a seed-level or report stage for one seed (and the jobs it reads). */
  seedJob(stage: StageDefinition, seed: number): Job {
    return this.add(stage, seed, { config: this.request.config, facts: this.request.facts });
  }

  /** The job training `arm` on one seed and label budget (and the jobs it reads). */
  armJob(arm: ArmDefinition, seed: number, budget: LabelBudget, variant: ArmJobVariant = {}): Job {
    // The arm's own settings at this budget (--arm-settings) over the run's, unless the caller gives a whole config (a tuning trial).
    const plan = { config: variant.config ?? armConfig(this.request.config, arm, budgetLabel(budget)), facts: this.request.facts };
    return this.add(this.stageNamed(arm.stage), seed, plan, { arm, budget, ...variant });
  }

  /** Whether a job with this id is planned. */
  has(id: string): boolean {
    return this.byId.has(id);
  }

  private stageNamed(name: string): StageDefinition {
    const stage = this.stages.find((s) => s.name === name);
    if (!stage) throw new Error(`arm stage "${name}" is not among the stages of this run (${this.stages.map((s) => s.name).join(', ')})`);
    return stage;
  }

  private add(stage: StageDefinition, seed: number, plan: PlanContext, arm?: { arm: ArmDefinition; budget: LabelBudget } & ArmJobVariant): Job {
    const id = arm ? `${arm.arm.name} seed ${seed} ${budgetLabel(arm.budget)}${arm.tag ? ` ${arm.tag}` : ''}` : `${stage.name} seed ${seed}`;
    const existing = this.byId.get(id);
    if (existing) return existing;
    const reads = [...stage.inputs, ...(arm?.arm.usesEncoder ? [encoderStageOf(stage)] : [])];
    const inputJobs = reads.map((input) => this.seedJob(input, seed));
    const params = { ...(stage.params(plan) as object), ...(arm?.arm.settings?.(plan.config, plan.facts) ?? {}), ...(arm?.extra ?? {}) };
    const inputs = Object.fromEntries(inputJobs.map((job) => [job.stage, job.key]));
    const key = hashOf({
      stage: stage.name, version: stage.version, seed, dataset: plan.facts.fingerprint, inputs, params,
      ...(arm ? { arm: arm.arm.name, budget: arm.budget } : {}), ...(stage.usesBackend ? { engine: this.request.engine } : {}),
    });
    const job: Job = {
      stage: stage.name, id, key, seed, deps: inputJobs.map((j) => j.id), inputs, params,
      ...(arm ? { arm: arm.arm.name, budget: arm.budget } : {}),
    };
    this.jobs.push(job);
    this.byId.set(id, job);
    return job;
  }

  /** The report's material (pictures) for the first seed, where what it reads is planned anyway: it never adds training. */
  addReportMaterial(): void {
    const seed = this.request.config.seeds[0];
    const plan = { config: this.request.config, facts: this.request.facts };
    for (const stage of this.stages.filter((s) => s.grain === 'report')) {
      const readsPlanned = stage.inputs.every((input) => this.byId.has(`${input.name} seed ${seed}`));
      if (readsPlanned && (stage.applies?.(plan) ?? true)) this.seedJob(stage, seed);
    }
  }
}

/** Every job of a run, in an order where each job comes after the jobs it reads. */
export function buildPlan(request: PlanRequest): Job[] {
  const plan: PlanContext = { config: request.config, facts: request.facts };
  const planner = new Planner(request);
  const { seeds } = request.config;
  const only = request.only;
  if (only?.grain === 'seed') {
    for (const seed of seeds) planner.seedJob(only, seed);
    return planner.jobs;
  }
  if (only?.grain === 'report') {
    if (only.applies?.(plan) ?? true) planner.seedJob(only, seeds[0]);
    return planner.jobs;
  }
  const arms = armsOf(plan).filter((arm) => !only || arm.stage === only.name);
  if (arms.length === 0) throw new UserError(`--arms names no arm that the ${only?.name} stage trains: give one of those it does.`);
  for (const seed of seeds) {
    for (const budget of budgetsOf(request.config)) {
      for (const arm of arms) planner.armJob(arm, seed, budget);
    }
  }
  if (!only) planner.addReportMaterial();
  return planner.jobs;
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

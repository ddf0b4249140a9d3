/**
 * What a stage is: a name, a code version, the stages whose outputs it reads,
 * the slice of the configuration that keys its output, and the function that
 * computes that output for one job. Stage files (pipeline/<stage>.ts) declare
 * themselves with this shape; plans, --force, --dry-run and the workers all
 * derive from those declarations.
 */
import type { EntryFiles } from '../artifacts/store.ts';
import type { ArtifactStore } from '../artifacts/store.ts';
import type { PipelineConfig } from '../config.ts';
import type { Dataset } from '../data/dataset.ts';
import type { DatasetFacts } from '../data/facts.ts';
import type { EpochLog } from '../train/curves.ts';
import type { Job } from './job.ts';

/** What a stage's jobs are planned from. */
export interface PlanContext {
  config: PipelineConfig;
  facts: DatasetFacts;
}

/** What a stage's run function is given, in the main process and in every worker alike. */
export interface StageContext {
  store: ArtifactStore;
  dataset: Dataset;
  /** tfjs backend name ('tensorflow', 'wasm', 'cpu'), recorded in every result. */
  backend: string;
  /** Called after every training epoch of a job (for progress bars). */
  onEpoch: (log: EpochLog, totalEpochs: number) => void;
}

/**
 * How many jobs a stage has: one per seed ('seed'); one per seed × label
 * budget × arm it trains ('arm'); or one for the report's first seed, when the
 * jobs it reads are in the plan anyway ('report': pictures).
 */
export type StageGrain = 'seed' | 'arm' | 'report';

export interface StageDefinition<P = unknown> {
  readonly name: string;
  /** One line saying what it does (--dry-run, --help, docs). */
  readonly title: string;
  /** Bump when its code changes its outputs, so cached outputs of the old code are not reused. */
  readonly version: number;
  readonly grain: StageGrain;
  /** The stages whose job of the same seed it reads. */
  readonly inputs: readonly StageDefinition[];
  /** 'arm' stages: the stage whose output is the pretrained encoder, read by arms that use one. */
  readonly encoderInput?: StageDefinition;
  /** Whether its outputs depend on the tfjs backend (then the engine is part of its keys). */
  readonly usesBackend: boolean;
  /** Its slice of the configuration; throws a UserError when the config cannot work on these data. */
  params(plan: PlanContext): P;
  /** 'report' stages: whether the report wants this stage's job for this run. */
  applies?(plan: PlanContext): boolean;
  /**
   * Compute one job's output files. It imports its training code (and tfjs with it) when it runs,
   * not at the top of its file: planning reads every stage, and a fully cached rerun must not load tfjs.
   */
  run(job: Job<P>, ctx: StageContext): Promise<EntryFiles>;
}

/** A stage and every stage it reads, transitively (inputs before the stages that read them). */
export function withInputs(stages: readonly StageDefinition[]): StageDefinition[] {
  const out: StageDefinition[] = [];
  const visit = (stage: StageDefinition): void => {
    if (out.includes(stage)) return;
    [...stage.inputs, ...(stage.encoderInput ? [stage.encoderInput] : [])].forEach(visit);
    out.push(stage);
  };
  stages.forEach(visit);
  return out;
}

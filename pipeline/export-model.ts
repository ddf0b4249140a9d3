/**
 * Export the run's classifier to <out>/model/: the classifier of the export arm (--export-arm;
 * default the arm with the best validation accuracy) trained on the largest label budget of the
 * first seed, as the classifier stage stored it, with the class names, how inputs are
 * prepared for it (statistics of that seed's pool) and its score on the held-out test set.
 */
import path from 'node:path';
import { REFERENCE_ARM } from '../src/arms/index.ts';
import type { PipelineConfig } from '../src/config.ts';
import { budgetsOf } from '../src/data/split.ts';
import { EXPORT_FILES, MODEL_FOLDER, preprocessingFor, writeExportedModel, type ModelAbout } from '../src/export/exported-model.ts';
import type { ArtifactStore } from '../src/artifacts/store.ts';
import type { Job } from '../src/jobs/job.ts';
import type { ExportedModelInfo } from '../src/report/run-record.ts';
import type { ClassifierScore } from './classifier-stage.ts';
import { readSplit } from './prepare.ts';
import type { StartedRun } from './start-run.ts';

/**
 * The job whose classifier is exported: first seed, largest label budget, and the arm --export-arm
 * names; without it, the arm with the best validation accuracy there (ties: the arms' order), or
 * where the run has no validation examples, pretrained when it runs, else the first of --arms.
 */
export function exportedJob(jobs: readonly Job[], config: PipelineConfig, store: ArtifactStore): Job {
  const largest = budgetsOf(config).at(-1);
  const candidates = jobs.filter((j) => j.arm !== undefined && j.seed === config.seeds[0] && j.budget?.kind === largest?.kind && j.budget?.value === largest?.value);
  const named = (arm: string) => candidates.find((j) => j.arm === arm);
  let job = config.exportArm ? named(config.exportArm) : undefined;
  if (!config.exportArm) {
    const validation = candidates.map((j) => store.readJson<ClassifierScore>(j.stage, j.key, 'score.json').valAccuracy);
    if (validation.every((v) => v !== null)) {
      job = candidates[validation.indexOf(Math.max(...(validation as number[])))];
    } else {
      job = named(config.arms.includes('pretrained') ? 'pretrained' : config.arms[0] ?? REFERENCE_ARM.name);
    }
  }
  if (!job) throw new Error(`no job of the export arm, seed ${config.seeds[0]} and the largest label budget in the plan: cannot export its model`);
  return job;
}

/** Write <runDir>/model/ and say what it holds (for params.json and the report). */
export async function exportModel(run: StartedRun, jobs: readonly Job[], runDir: string): Promise<ExportedModelInfo> {
  const job = exportedJob(jobs, run.config, run.store);
  const score = run.store.readJson<ClassifierScore>(job.stage, job.key, 'score.json');
  if (!score.test) throw new Error(`${job.id}: its stored score has no test result, so it cannot be exported`);
  const split = readSplit(run, job);
  const about: ModelAbout = {
    arm: job.arm!, seed: job.seed, labeled: score.labeled, fraction: score.fraction,
    testAccuracy: score.test.accuracy, testSize: split.test.length, dataset: run.dataset.name, createdAt: new Date().toISOString(),
  };
  await writeExportedModel(path.join(runDir, MODEL_FOLDER), {
    modelJson: run.store.read(job.stage, job.key, EXPORT_FILES.json).toString('utf8'),
    weights: run.store.read(job.stage, job.key, EXPORT_FILES.weights),
    labels: run.dataset.classNames,
    preprocessing: preprocessingFor(run.dataset, split),
    about,
  });
  return { folder: MODEL_FOLDER, arm: about.arm, seed: about.seed, labeled: about.labeled, fraction: about.fraction, testAccuracy: about.testAccuracy };
}

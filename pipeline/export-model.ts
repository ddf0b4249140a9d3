/**
 * Export the run's classifier to <out>/model/: the classifier of the export arm (--export-arm;
 * default pretrained when it runs, else the first of --arms) trained on the largest label budget
 * of the first seed, as the classifier stage stored it, with the class names, how inputs are
 * prepared for it (statistics of that seed's pool) and its score on the held-out test set.
 */
import path from 'node:path';
import { REFERENCE_ARM } from '../src/arms/index.ts';
import type { PipelineConfig } from '../src/config.ts';
import { budgetsOf } from '../src/data/split.ts';
import { EXPORT_FILES, preprocessingFor, writeExportedModel, type ModelAbout } from '../src/export/exported-model.ts';
import type { Job } from '../src/jobs/job.ts';
import type { ExportedModelInfo } from '../src/report/run-record.ts';
import type { ClassifierScore } from './classifier-stage.ts';
import { readSplit } from './prepare.ts';
import type { StartedRun } from './start-run.ts';

/** The folder inside a run's report folder that holds the exported model. */
export const MODEL_FOLDER = 'model';

/** The arm a config exports. */
export function exportArmOf(config: Pick<PipelineConfig, 'exportArm' | 'arms'>): string {
  if (config.exportArm) return config.exportArm;
  return config.arms.includes('pretrained') ? 'pretrained' : config.arms[0] ?? REFERENCE_ARM.name;
}

/** The job whose classifier is exported: the export arm, first seed, largest label budget. */
export function exportedJob(jobs: readonly Job[], config: PipelineConfig): Job {
  const arm = exportArmOf(config);
  const largest = budgetsOf(config).at(-1);
  const job = jobs.find((j) => j.arm === arm && j.seed === config.seeds[0] && j.budget?.kind === largest?.kind && j.budget?.value === largest?.value);
  if (!job) throw new Error(`no job of arm ${arm}, seed ${config.seeds[0]} and the largest label budget in the plan: cannot export its model`);
  return job;
}

/** Write <runDir>/model/ and say what it holds (for params.json and the report). */
export async function exportModel(run: StartedRun, jobs: readonly Job[], runDir: string): Promise<ExportedModelInfo> {
  const job = exportedJob(jobs, run.config);
  const score = run.store.readJson<ClassifierScore>(job.stage, job.key, 'score.json');
  const split = readSplit(run, job);
  const about: ModelAbout = {
    arm: job.arm!, seed: job.seed, labeled: score.labeled, fraction: score.fraction,
    testAccuracy: score.accuracy, testSize: split.test.length, dataset: run.dataset.name, createdAt: new Date().toISOString(),
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

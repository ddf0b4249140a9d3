/**
 * Every stage of the pipeline, in the order it runs. The plan, --force,
 * --dry-run and the worker processes take their stages from this list; each
 * stage file declares itself (name, version, inputs, config slice, run).
 * The arms these stages train are declared in src/arms/.
 */
import type { StageDefinition } from '../src/jobs/stage.ts';
import { baselineStage } from './baseline.ts';
import { finetuneStage } from './finetune.ts';
import { pcaStage } from './pca.ts';
import { picturesStage } from './pictures.ts';
import { prepareStage } from './prepare.ts';
import { pretrainStage } from './pretrain.ts';
import { pseudoLabelStage } from './pseudo-label.ts';

export const PIPELINE_STAGES: readonly StageDefinition[] = [
  prepareStage, pretrainStage, picturesStage, finetuneStage, baselineStage, pcaStage, pseudoLabelStage,
];

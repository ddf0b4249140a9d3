/**
 * The architecture a config gives on a dataset, shared by the autoencoder and
 * every classifier arm: the data's shape, the code size, the class count and
 * the encoder family with only the options that family reads, so cache keys
 * ignore the rest.
 */
import type { PipelineConfig } from '../config.ts';
import type { DatasetFacts } from '../data/facts.ts';
import { encoderFamily, type AutoencoderSpec } from './encoders/index.ts';

export interface ModelParams extends AutoencoderSpec {
  inputShape: number[];
  encoder: string;
  classCount: number;
}

/** The architecture of `config` on data with these facts; a UserError when the family cannot handle the data. */
export function modelParams(config: PipelineConfig, facts: DatasetFacts): ModelParams {
  const data = { inputKind: facts.inputKind, inputShape: facts.inputShape };
  return {
    ...data,
    features: facts.features,
    latent: config.latent,
    classCount: facts.classCount,
    encoder: config.encoder,
    ...encoderFamily(config.encoder).settings(config, data),
  };
}

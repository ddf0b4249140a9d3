/**
 * The dataset sources (one declaration each in src/data/sources/) and what derives from them: the
 * --dataset names, their --help, which source owns which option, the report's words for the data,
 * and one entry point from "which data" to a Dataset, through the decoded-dataset cache.
 */
import type { PipelineConfig } from '../config.ts';
import { UserError } from '../errors.ts';
import { orList } from '../util/option-values.ts';
import { loadWithCache } from './cache.ts';
import type { Dataset } from './dataset.ts';
import { csvSource } from './sources/csv.ts';
import { embeddedSource } from './sources/embedded.ts';
import { idxSource } from './sources/idx.ts';
import { imagesSource } from './sources/images.ts';
import { namedSource } from './sources/named.ts';
import type { DatasetSourceDefinition, GivenOptions, LoadContext, SourceOption } from './sources/source.ts';

/** Every source, in the order --help lists them. */
export const DATASET_SOURCES = [embeddedSource, namedSource, idxSource, csvSource, imagesSource] as const;

/** What to load: plain JSON, as each source declares it. */
export type DatasetSource = Parameters<(typeof DATASET_SOURCES)[number]['locate']>[0];

type AnySource = DatasetSourceDefinition<{ kind: string }, never>;
const SOURCES: readonly AnySource[] = DATASET_SOURCES as unknown as readonly AnySource[];

/** Every name --dataset accepts. */
export const DATASET_NAMES: readonly string[] = SOURCES.flatMap((source) => Object.keys(source.names));

function sourceAnswering(dataset: string): AnySource {
  const source = SOURCES.find((s) => Object.hasOwn(s.names, dataset));
  if (!source) throw new UserError(`--dataset ${dataset} is unknown: use one of ${DATASET_NAMES.join(', ')}.`);
  return source;
}

/** "--dataset a or b" for the names of some sources. */
const namesOf = (sources: readonly AnySource[]): string[] => sources.flatMap((source) => Object.keys(source.names));

/** --dataset's help: each name with its line. */
export function datasetHelp(): string {
  return SOURCES.flatMap((source) => Object.entries(source.names).map(([name, line]) => `${name} (${line})`)).join(' | ');
}

/** The sources that own each option, in the order the sources list them. */
function owners(): Map<string, AnySource[]> {
  const byOption = new Map<string, AnySource[]>();
  for (const source of SOURCES) for (const option of Object.keys(source.options)) byOption.set(option, [...(byOption.get(option) ?? []), source]);
  return byOption;
}

/** Every option a source owns, with its help: "--dataset idx: …; --dataset images: …". */
export function sourceOptions(): [string, SourceOption][] {
  return [...owners()].map(([option, sources]) => {
    const first = sources[0].options[option];
    const describe = sources.map((source) => `--dataset ${orList(Object.keys(source.names))}: ${source.options[option].describe}`).join('; ');
    return [option, { ...first, describe }];
  });
}

/**
 * The config's dataset settings from the command line: the --dataset name checked, any option of
 * another source refused, and the source's own options read and checked by its declaration.
 */
export function readDatasetOptions(dataset: string, given: GivenOptions): Pick<PipelineConfig, 'dataset' | 'datasetOptions'> {
  const source = sourceAnswering(dataset);
  for (const [option, sources] of owners()) {
    if (sources.includes(source)) continue;
    const kind = sources[0].options[option].kind;
    const isGiven = kind === 'switch' ? given.switch(option) : kind === 'path' ? given.path(option) !== undefined : given.text(option) !== undefined;
    if (!isGiven) continue;
    const names = namesOf(sources);
    throw new UserError(`--${option} is only used with --dataset ${orList(names)} (the dataset is ${dataset}): add --dataset ${orList(names)}${names.length > 1 ? ',' : ''} or drop --${option}.`);
  }
  for (const [option, { kind, instead }] of Object.entries(source.options)) {
    if (instead === undefined || given.text(instead.option) === undefined) continue;
    if (kind === 'switch' ? given.switch(option) : given.text(option) !== undefined) {
      throw new UserError(`--${instead.option} and --${option} both given: ${instead.chooses} comes from one of them, so give one.`);
    }
  }
  return { dataset, datasetOptions: source.read(dataset, given) };
}

/** Pairs of options that choose the same thing two ways (a source's option and the general one it replaces). */
export function alternativeOptions(): [string, string][] {
  return [...owners()].flatMap(([option, sources]) => {
    const instead = sources[0].options[option].instead;
    return instead ? [[instead.option, option] as [string, string]] : [];
  });
}

/** Every option a source owns (for telling which settings the user chose). */
export function datasetOptionNames(): string[] {
  return [...owners().keys()];
}

/** What the config's --dataset and its options ask to load. */
export function sourceFromConfig(config: Pick<PipelineConfig, 'dataset' | 'datasetOptions'>): DatasetSource {
  return sourceAnswering(config.dataset).source(config.dataset, config.datasetOptions as never) as DatasetSource;
}

/**
 * The run's data in a few words for the report, from its recorded config; undefined for a name no
 * source answers to. Runs from before datasetOptions recorded the same fields in the config itself.
 */
export function describeDataset(recorded: object): string | undefined {
  const config = recorded as Record<string, unknown>;
  const dataset = config.dataset;
  const source = typeof dataset === 'string' ? SOURCES.find((s) => Object.hasOwn(s.names, dataset)) : undefined;
  if (!source) return undefined;
  const options = typeof config.datasetOptions === 'object' && config.datasetOptions !== null ? config.datasetOptions : config;
  return source.describe(dataset as string, options as never);
}

export interface LoadedDataset {
  dataset: Dataset;
  fromCache: boolean;
}

/** Load any source as a Dataset, through the decoded-dataset cache where its source keys one (raw table values: call prepareTableFromPool after the split). */
export async function loadDatasetSource(source: DatasetSource, context: LoadContext): Promise<LoadedDataset> {
  const definition = SOURCES.find((s) => s.kind === source.kind);
  if (!definition) throw new Error(`no dataset source of kind ${source.kind}`);
  const { fingerprint, decode } = await definition.locate(source as never, context);
  if (!fingerprint || context.cache === false) return { dataset: await decode(), fromCache: false };
  const { dataset, fromCache } = await loadWithCache({ dataRoot: context.dataRoot, name: fingerprint.name, sources: fingerprint.files, params: fingerprint.params, decode, onNote: context.onNote });
  return { dataset, fromCache };
}

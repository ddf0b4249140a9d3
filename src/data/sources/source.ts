/**
 * What a dataset source is: the --dataset names it answers to, the options it owns and how it
 * reads and checks them, what it loads (plain JSON), what identifies its decoded data in the
 * dataset cache, and how it decodes them. Each source declares itself once in this folder;
 * src/data/sources.ts lists them, and --dataset, --help, option ownership, config files, the
 * report's words for the data and loading all derive from that list.
 */
import type { DatasetOptions } from '../../config.ts';
import type { Dataset } from '../dataset.ts';
import type { DownloadProgress } from '../download.ts';

/** One option a source owns. */
export interface SourceOption {
  /** Help text; --help prefixes it with the --dataset names of every source that owns the option. */
  describe: string;
  /** 'path': a path as typed (resolved against the user's folder; empty is an error); 'switch': on/off. */
  kind: 'text' | 'path' | 'switch';
  defaultDescription?: string;
  /** A general option that chooses the same thing another way (given together: an error; on the command line, either drops the other from a config file). */
  instead?: { option: string; chooses: string };
}

/** The command line as a source reads it (src/cli.ts provides it). */
export interface GivenOptions {
  /** The option's text; undefined when not given (given twice is a UserError). */
  text(name: string): string | undefined;
  /** A path option, absolute: relative to the folder the user typed the command in. */
  path(name: string): string | undefined;
  /** Whether a switch is on. */
  switch(name: string): boolean;
}

/** Where and how a source loads. */
export interface LoadContext {
  /** Root of caches and named datasets (`<dataRoot>/datasets/<name>`, `<dataRoot>/cache`). */
  dataRoot: string;
  /** Use the decoded-dataset cache (default true). */
  cache?: boolean;
  onProgress?: (progress: DownloadProgress) => void;
  /** Told about cache rebuilds and similar non-fatal events. */
  onNote?: (message: string) => void;
}

/** A source's data, found: what keys its decoded form in the dataset cache, and how to decode it. */
export interface LocatedData {
  /**
   * The decoded dataset's cache entry: a name for the file, the files whose contents key it, and the
   * loader settings that change the result. Absent: decoding is cheaper than a cache file (or the
   * files are missing, which decode reports).
   */
  fingerprint?: { name: string; files: string[]; params: unknown };
  /** Decode the data (called on a cache miss). Raw table values: standardise after the split. */
  decode(): Promise<Dataset>;
}

export interface DatasetSourceDefinition<Source extends { kind: string } = { kind: string }, Options extends DatasetOptions = DatasetOptions> {
  /** The `kind` of what it loads. */
  readonly kind: Source['kind'];
  /** The --dataset names it answers to, each with one line for --help. */
  readonly names: Readonly<Record<string, string>>;
  /** The options it owns (option name → help); given with another --dataset they are refused. */
  readonly options: Readonly<Record<string, SourceOption>>;
  /**
   * Its options as given with --dataset `dataset`, checked (one-line UserErrors with the fix) and
   * resolved: the config's datasetOptions, keyed by the camelCase option names, holding only what was given.
   */
  read(dataset: string, given: GivenOptions): Options;
  /** What it loads, as plain JSON: nothing machine-local beyond the paths the user gave. */
  source(dataset: string, options: Options): Source;
  /** The data in a few words, for the report ("the IDX files of folder digits"). */
  describe(dataset: string, options: Options): string;
  /** Find its data (fetching them where the source does) and say how they are cached and decoded. */
  locate(source: Source, context: LoadContext): Promise<LocatedData>;
}

/** A declaration, checked against the shape (and keeping its own types for the list's union of sources). */
export function defineSource<Source extends { kind: string }, Options extends DatasetOptions>(definition: DatasetSourceDefinition<Source, Options>): DatasetSourceDefinition<Source, Options> {
  return definition;
}

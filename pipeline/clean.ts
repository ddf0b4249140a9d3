/**
 * Remove cached stage outputs from the artifact store (data/ by default):
 *   npm run clean                       everything cached (splits, encoders, classifier results, leftovers)
 *   npm run clean -- --older-than 7d    entries made more than 7 days ago (or --older-than 2026-11-01)
 *   npm run clean -- --dry-run          say what would be removed
 * Reports are never touched; decoded datasets (data/cache) and downloads
 * (data/datasets) are kept unless --datasets is given. Temporaries of a
 * run that is still writing are left alone.
 */
import fs from 'node:fs';
import path from 'node:path';
import yargs from '#yargs';
import { ArtifactStore } from '../src/artifacts/store.ts';
import { UserError } from '../src/errors.ts';
import { runCommand } from '../src/util/command.ts';
import { isEntryScript } from '../src/util/entry-script.ts';
import { rejectSwitchValues, switchesOf } from '../src/util/switches.ts';
import { temporaryState } from '../src/artifacts/stale.ts';
import { IDX_FILES } from '../src/data/idx.ts';
import { NAMED_DATASET_NAMES, namedDatasetDir } from '../src/data/registry.ts';
import { displayPath, userPath } from '../src/util/user-paths.ts';

/** Folders of the cache root that hold datasets (decoded, published, downloaded), not stage outputs. */
const DATASET_FOLDERS = ['cache', 'datasets'];

/** Parse "7d", "12h" or an ISO date into the cut-off time. */
export function parseCutoff(text: string, now = new Date()): Date {
  const relative = /^(\d+(?:\.\d+)?)([dh])$/.exec(text.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * (relative[2] === 'd' ? 86_400_000 : 3_600_000));
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UserError(`--older-than "${text}" is not a date or an age: give e.g. 2026-11-01 or 7d or 12h.`);
  return date;
}

/** A store entry's folder name: a content key (hashOf), or a temporary of an unfinished write. */
const ENTRY_NAME = /^[0-9a-f]{16}$/;
/** A decoded-dataset cache file (cache.ts cacheFilePath: 20 hex digits) or a published dataset (publishedDatasetPath: 16). */
const CACHE_FILE = /^[A-Za-z0-9._-]+-[0-9a-f]{16,20}\.bin$/;

/**
 * Whether a temporary is a leftover: its process is gone (stale.ts), or, for
 * a name that cannot tell (an older version's, another machine's), it is an
 * hour old; a live run's temporaries are never touched.
 */
function isLeftover(file: string): boolean {
  const state = temporaryState(path.basename(file));
  return state === 'stale' || (state === 'unknown' && Date.now() - fs.statSync(file).mtimeMs > 3_600_000);
}

/**
 * Remove store entries (and temporary leftovers) older than the cut-off; returns what was (or would be) removed.
 * Only what semisup writes is touched: entries named by a content key, temporaries, dataset cache
 * files and the IDX files of the named datasets, so a --cache-dir that holds other things loses none of them.
 */
export function cleanStore(root: string, options: { olderThan?: Date; dryRun?: boolean; datasets?: boolean }): string[] {
  const store = new ArtifactStore(root);
  const removed: string[] = [];
  const remove = (target: string) => {
    removed.push(target);
    if (!options.dryRun) fs.rmSync(target, { recursive: true, force: true });
  };
  for (const entry of store.list()) {
    // Stage folders hold content-addressed entries; anything else in the folder is not ours to remove.
    if (DATASET_FOLDERS.includes(entry.stage) || !(entry.temporary || ENTRY_NAME.test(entry.key))) continue;
    const old = entry.temporary
      ? isLeftover(entry.dir)
      : options.olderThan === undefined || entry.createdAt === undefined || entry.createdAt < options.olderThan;
    if (old) remove(entry.dir);
  }
  if (options.datasets) {
    const cacheDir = path.join(root, 'cache');
    for (const name of listFolder(cacheDir)) {
      const file = path.join(cacheDir, name);
      if (CACHE_FILE.test(name) || (name.startsWith('.tmp-') && isLeftover(file))) remove(file);
    }
    for (const dataset of NAMED_DATASET_NAMES) {
      const dir = namedDatasetDir(dataset, root);
      const idx = new Set(Object.values(IDX_FILES).flatMap((base) => [base, `${base}.gz`]));
      for (const name of listFolder(dir)) {
        const file = path.join(dir, name);
        if (idx.has(name) || (name.startsWith('.tmp-') && isLeftover(file))) remove(file);
      }
    }
  }
  return removed;
}

function listFolder(dir: string): string[] {
  try {
    return fs.readdirSync(dir);
  } catch {
    return [];
  }
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const parser = yargs(argv)
    .scriptName('npm run clean --')
    .usage('$0 [options]\n\nRemove cached stage outputs so the next run recomputes them.')
    .option('cache-dir', { type: 'string', describe: 'The cache folder the pipeline used', defaultDescription: 'data' })
    .option('older-than', { type: 'string', describe: 'Only entries older than this date or age (2026-11-01, 7d, 12h)' })
    .option('datasets', { type: 'boolean', default: false, describe: 'Also remove decoded datasets and downloaded files' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'List what would be removed, remove nothing' })
    .example('$0 --older-than 7d', 'remove entries made more than a week ago')
    .strict()
    .help()
    .fail((message, error) => { throw error ?? new UserError(`${message}. See --help.`); });
  rejectSwitchValues(argv, switchesOf(parser));
  const args = await parser.parseAsync();
  for (const name of ['cache-dir', 'older-than'] as const) {
    if (Array.isArray(args[name])) throw new UserError(`--${name} was given more than once: give it once.`);
  }
  const typed = args.cacheDir;
  if (typed !== undefined && typed.trim() === '') throw new UserError('--cache-dir is empty: give the folder the pipeline used (default data).');
  // The default data/ is the project's; a folder the user types is relative to where they typed it.
  const root = typed === undefined ? path.resolve('data') : userPath(typed);
  if (fs.existsSync(root) && !fs.statSync(root).isDirectory()) {
    throw new UserError(`--cache-dir ${typed} is a file, not a folder: give the folder the pipeline used (default data).`);
  }
  if (typed !== undefined && !fs.existsSync(root)) {
    throw new UserError(`--cache-dir ${typed} does not exist: give the folder the pipeline used (default data).`);
  }
  const olderThan = args.olderThan === undefined ? undefined : parseCutoff(args.olderThan);
  const removed = cleanStore(root, { olderThan, dryRun: args.dryRun, datasets: args.datasets });
  for (const dir of removed) console.log(`${args.dryRun ? 'would remove' : 'removed'} ${displayPath(dir)}`);
  console.log(`${removed.length} ${removed.length === 1 ? 'entry' : 'entries'} ${args.dryRun ? 'would be removed' : 'removed'} from ${displayPath(root)}`);
}

if (isEntryScript(import.meta.url)) void runCommand(main);

/**
 * Remove cached stage outputs from the artifact store (data/ by default):
 *   npm run clean                       everything cached (splits, encoders, classifier results, leftovers)
 *   npm run clean -- --older-than 7d    entries made more than 7 days ago (or --older-than 2026-11-01)
 *   npm run clean -- --dry-run          say what would be removed
 * Reports are never touched; decoded datasets (data/cache) and downloads
 * (data/datasets) are kept unless --datasets is given.
 */
import fs from 'node:fs';
import path from 'node:path';
import yargs from 'yargs';
import { ArtifactStore } from '../src/artifacts/store.ts';
import { UserError } from '../src/errors.ts';
import { runCommand } from '../src/util/command.ts';
import { isEntryScript } from '../src/util/entry-script.ts';

/** Folders of the cache root that hold datasets (decoded, published, downloaded), not stage outputs. */
const DATASET_FOLDERS = ['cache', 'datasets'];
/** What an entry's folder is called: its content key (src/artifacts/hash.ts). */
const STORE_KEY = /^[0-9a-f]{16,64}$/;

/** Parse "7d", "12h" or an ISO date into the cut-off time. */
export function parseCutoff(text: string, now = new Date()): Date {
  const relative = /^(\d+(?:\.\d+)?)([dh])$/.exec(text.trim());
  if (relative) return new Date(now.getTime() - Number(relative[1]) * (relative[2] === 'd' ? 86_400_000 : 3_600_000));
  const date = new Date(text);
  if (Number.isNaN(date.getTime())) throw new UserError(`--older-than "${text}" is not a date or an age: give e.g. 2026-11-01 or 7d or 12h.`);
  return date;
}

/** Remove store entries (and temporary leftovers) older than the cut-off; returns what was (or would be) removed. */
export function cleanStore(root: string, options: { olderThan?: Date; dryRun?: boolean; datasets?: boolean }): string[] {
  const store = new ArtifactStore(root);
  const removed: string[] = [];
  for (const entry of store.list()) {
    // Stage folders hold content-addressed entries; anything else in the folder is not ours to remove.
    if (DATASET_FOLDERS.includes(entry.stage) || !(entry.temporary || STORE_KEY.test(entry.key))) continue;
    // A temporary folder may belong to a run that is writing right now: only an hour-old one is a leftover.
    const old = entry.temporary
      ? Date.now() - fs.statSync(entry.dir).mtimeMs > 3_600_000
      : options.olderThan === undefined || entry.createdAt === undefined || entry.createdAt < options.olderThan;
    if (!old) continue;
    removed.push(entry.dir);
    if (!options.dryRun) fs.rmSync(entry.dir, { recursive: true, force: true });
  }
  if (options.datasets) {
    for (const folder of DATASET_FOLDERS) {
      const dir = path.join(root, folder);
      if (!fs.existsSync(dir)) continue;
      removed.push(dir);
      if (!options.dryRun) fs.rmSync(dir, { recursive: true, force: true });
    }
  }
  return removed;
}

async function main(): Promise<void> {
  const args = await yargs(process.argv.slice(2))
    .scriptName('npm run clean --')
    .usage('$0 [options]\n\nRemove cached stage outputs so the next run recomputes them.')
    .option('cache-dir', { type: 'string', default: 'data', describe: 'The cache folder the pipeline used' })
    .option('older-than', { type: 'string', describe: 'Only entries older than this date or age (2026-11-01, 7d, 12h)' })
    .option('datasets', { type: 'boolean', default: false, describe: 'Also remove decoded datasets and downloaded files' })
    .option('dry-run', { type: 'boolean', default: false, describe: 'List what would be removed, remove nothing' })
    .example('$0 --older-than 7d', 'remove entries made more than a week ago')
    .strict()
    .help()
    .fail((message, error) => { throw error ?? new UserError(`${message}. See --help.`); })
    .parseAsync();
  const olderThan = args.olderThan === undefined ? undefined : parseCutoff(args.olderThan);
  const removed = cleanStore(path.resolve(args.cacheDir), { olderThan, dryRun: args.dryRun, datasets: args.datasets });
  for (const dir of removed) console.log(`${args.dryRun ? 'would remove' : 'removed'} ${path.relative(process.cwd(), dir)}`);
  console.log(`${removed.length} ${removed.length === 1 ? 'entry' : 'entries'} ${args.dryRun ? 'would be removed' : 'removed'} from ${args.cacheDir}`);
}

if (isEntryScript(import.meta.url)) void runCommand(main);

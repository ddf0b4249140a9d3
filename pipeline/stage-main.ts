/**
 * Lets each stage file run on its own (`npx tsx pipeline/pretrain.ts --help`):
 * it runs the pipeline's plan up to that stage, reusing cached outputs, and
 * stops there. The import of run.ts is deferred so that importing a stage
 * file as a library runs nothing.
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StageName } from '../src/jobs/job.ts';

/** True when `moduleUrl` is the script node was started with. */
export function isEntryScript(moduleUrl: string): boolean {
  const entry = process.argv[1];
  return entry !== undefined && path.resolve(entry) === fileURLToPath(moduleUrl);
}

/** If the calling stage file is the entry script, run the pipeline up to its stage. */
export function runStageAlone(moduleUrl: string, stage: StageName): void {
  if (!isEntryScript(moduleUrl)) return;
  void import('./run.ts').then(({ main }) => main(process.argv.slice(2), { untilStage: stage, scriptName: `npx tsx pipeline/${stage}.ts` }));
}

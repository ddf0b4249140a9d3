/**
 * Lets each stage file run on its own (`npx tsx pipeline/pretrain.ts --help`):
 * it plans that stage's jobs and the jobs they read, runs those not cached,
 * and stops there (no report). It knows no stage by name: the stage file
 * hands itself over, and its inputs come with it.
 */
import { withInputs, type StageDefinition } from '../src/jobs/stage.ts';
import { runCommand } from '../src/util/command.ts';
import { isEntryScript } from '../src/util/entry-script.ts';

/**
 * If the calling stage file is the script node was started with, run the pipeline up to its stage.
 * The machinery to do so (options, executors with their queue clients, the run's start) is loaded
 * only then: every worker process and Slurm job imports the stage files and needs none of it.
 */
export function runStageAlone<P>(moduleUrl: string, stage: StageDefinition<P>): void {
  if (!isEntryScript(moduleUrl)) return;
  void runCommand(async () => {
    const [{ configFromArgs, parseArgs, runControlFromArgs }, { describeRunPlan, executePlan }, { planJobs, startRun }] = await Promise.all([
      import('../src/cli.ts'), import('./execute.ts'), import('./start-run.ts'),
    ]);
    const args = await parseArgs(process.argv.slice(2), `npx tsx pipeline/${stage.name}.ts`);
    if (args === null) return;
    const control = runControlFromArgs(args);
    const run = await startRun(configFromArgs(args), control);
    const stages = withInputs([stage as StageDefinition]);
    const jobs = planJobs(run, stages, stage as StageDefinition);
    if (control.dryRun) {
      describeRunPlan(run, jobs, stages, control).forEach((line) => run.log.always(line));
      return;
    }
    const records = await executePlan(run, jobs, stages, control);
    run.log.always(`${stage.name}: ${records.filter((r) => r.stage === stage.name).length} jobs done; outputs in ${run.store.root}`);
  });
}

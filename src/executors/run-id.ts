/**
 * The id of one coordinator's run on a shared queue or cluster: it prefixes
 * every queue job id (BullMQ) and names every sbatch job (Slurm), so two
 * coordinators never take each other's jobs or results, and a forced rerun
 * is a new job rather than a duplicate of a finished one.
 */
import os from 'node:os';

/** Unique among coordinators running at once: host, process and start time; readable in a dashboard. */
export function newRunId(): string {
  return `${os.hostname()}-${process.pid}-${Date.now().toString(36)}`.replace(/[^A-Za-z0-9-]+/g, '-');
}

/**
 * Per-job training progress. On a terminal: one live bar per running job
 * (cli-progress), so parallel jobs stay readable. Elsewhere (CI logs, pipes):
 * whole lines, about four per job.
 */
import cliProgress from 'cli-progress';
import type { EpochLog } from '../train/curves.ts';

export interface JobProgress {
  epoch(jobId: string, log: EpochLog, total: number): void;
  /** A whole line that must not tear a bar (job started, cached, finished). */
  line(text: string): void;
  done(jobId: string): void;
  stop(): void;
}

function describe(log: EpochLog): string {
  const accuracy = log.accuracy === undefined ? '' : `, train accuracy ${(log.accuracy * 100).toFixed(1)} %`;
  return `loss ${log.loss.toFixed(4)}${accuracy}`;
}

export function createJobProgress(quiet: boolean, stream: NodeJS.WriteStream = process.stdout): JobProgress {
  if (quiet) return { epoch: () => undefined, line: () => undefined, done: () => undefined, stop: () => undefined };
  if (!stream.isTTY) {
    const lastPrinted = new Map<string, number>();
    return {
      epoch(jobId, log, total) {
        const last = lastPrinted.get(jobId) ?? 0;
        if (log.epoch === total || log.epoch - last >= Math.max(1, Math.ceil(total / 4))) {
          lastPrinted.set(jobId, log.epoch);
          stream.write(`  ${jobId}: epoch ${log.epoch}/${total}, ${describe(log)}\n`);
        }
      },
      line: (text) => { stream.write(`${text}\n`); },
      done: (jobId) => { lastPrinted.delete(jobId); },
      stop: () => undefined,
    };
  }
  const bars = new cliProgress.MultiBar({
    stream,
    format: '  {job} |{bar}| epoch {value}/{total} {status}',
    barsize: 24,
    hideCursor: true,
    clearOnComplete: false,
    autopadding: true,
  }, cliProgress.Presets.shades_classic);
  const byJob = new Map<string, cliProgress.SingleBar>();
  return {
    epoch(jobId, log, total) {
      let bar = byJob.get(jobId);
      if (!bar) byJob.set(jobId, (bar = bars.create(total, 0, { job: jobId.padEnd(32), status: '' })));
      bar.update(log.epoch, { status: describe(log) });
    },
    line: (text) => { bars.log(`${text}\n`); },
    done(jobId) {
      const bar = byJob.get(jobId);
      if (bar) {
        bars.remove(bar);
        byJob.delete(jobId);
      }
    },
    stop: () => bars.stop(),
  };
}
